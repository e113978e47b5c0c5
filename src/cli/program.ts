/**
 * The shell every CLI shares: parse the arguments (a bad one prints its message and the usage,
 * exit 2; `--help` prints the usage), run, exit with the run's code; an unexpected error prints its
 * stack, exit 1. Only when the module is the program itself: tests import the CLIs' functions.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Program<A extends { help: boolean }> {
  usage: string;
  /** Throws an `argsError` for arguments it rejects. */
  parse(argv: string[]): A;
  argsError: new (...args: never[]) => Error;
  run(args: A): Promise<number>;
}

export async function runProgram<A extends { help: boolean }>(
  program: Program<A>,
  argv: string[],
): Promise<number> {
  let args: A;
  try {
    args = program.parse(argv);
  } catch (error) {
    if (error instanceof program.argsError) {
      console.error(`${error.message}\n\n${program.usage}`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    console.log(program.usage);
    return 0;
  }
  return program.run(args);
}

/** Runs `program` with the process's arguments when `moduleUrl` is the file node was started with. */
export function runAsMain<A extends { help: boolean }>(
  moduleUrl: string,
  program: Program<A>,
): void {
  if (!process.argv[1] || path.resolve(process.argv[1]) !== fileURLToPath(moduleUrl)) return;
  runProgram(program, process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
