/** Command-line arguments of `npm run train`: parsed and checked, each error naming its flag. */
import { MODEL_KINDS } from '../core/models/registry';

export const USAGE = `Train a playground model headless and write a checkpoint the app can open.

Usage: npm run train -- --model <kind> --steps <n> --out <file.safetensors> [options]
       npm run train -- --resume <file.safetensors> --steps <n> --out <file.safetensors>

  --model <kind>          ${MODEL_KINDS.join(' | ')}
  --variant <id>          the model's variant (default: its default variant)
  --preset <id>           tiny | small | paper | … (default: the model's default preset)
  --config key=value      a config override (repeatable), e.g. --config learningRate=0.001
  --data key=value        a Moving MNIST option (repeatable), e.g. --data digitSize=14
  --seed <n>              model seed: weight init and noise (default 0)
  --data-seed <n>         data stream seed (default 42)
  --steps <n>             training steps to take now (required)
  --out <file>            where to write the checkpoint (required)
  --resume <file>         continue from a checkpoint: model, config, data and seeds come from it
  --backend cpu|webgpu    tfjs backend (default cpu); webgpu runs through Dawn when an adapter exists
  --log-every <n>         print the losses every n steps (default: about 20 lines per run)
  --save-every <n>        also write the checkpoint every n steps (default: only at the end)
  --no-eval               skip the held-out evaluation at the end
  --help                  print this text`;

export interface TrainArgs {
  model?: string;
  variant?: string;
  preset?: string;
  config: Record<string, number | boolean | string>;
  data: Record<string, number | boolean | string>;
  seed?: number;
  dataSeed?: number;
  steps: number;
  out: string;
  resume?: string;
  backend: 'cpu' | 'webgpu';
  logEvery?: number;
  saveEvery?: number;
  evaluate: boolean;
  help: boolean;
}

export class ArgsError extends Error {}

/** `"0.001"` → 0.001, `"true"` → true, anything else stays a string. */
function parseValue(text: string): number | boolean | string {
  if (text === 'true') return true;
  if (text === 'false') return false;
  const number = Number(text);
  return text.trim() !== '' && Number.isFinite(number) ? number : text;
}

function positiveInteger(flag: string, text: string, allowZero = false): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(value) || (!allowZero && value === 0)) {
    throw new ArgsError(
      `${flag} must be a ${allowZero ? 'non-negative' : 'positive'} integer (got "${text}")`,
    );
  }
  return value;
}

function keyValue(flag: string, text: string): [string, number | boolean | string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new ArgsError(`${flag} needs key=value (got "${text}")`);
  return [text.slice(0, at), parseValue(text.slice(at + 1))];
}

const WITH_VALUE = [
  '--model',
  '--variant',
  '--preset',
  '--config',
  '--data',
  '--seed',
  '--data-seed',
  '--steps',
  '--out',
  '--resume',
  '--backend',
  '--log-every',
  '--save-every',
];

export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const args: Partial<TrainArgs> & Pick<TrainArgs, 'config' | 'data'> = {
    config: {},
    data: {},
    backend: 'cpu',
    evaluate: true,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const eq = token.indexOf('=');
    const flag = token.startsWith('--') && eq > 0 ? token.slice(0, eq) : token;
    if (flag === '--help' || flag === '-h') {
      args.help = true;
      continue;
    }
    if (flag === '--no-eval') {
      args.evaluate = false;
      continue;
    }
    if (!WITH_VALUE.includes(flag)) throw new ArgsError(`Unknown option "${token}" (see --help)`);
    let value: string;
    if (flag !== token) value = token.slice(eq + 1);
    else {
      const next = argv[++i];
      if (next === undefined) throw new ArgsError(`${flag} needs a value`);
      value = next;
    }
    switch (flag) {
      case '--model':
      case '--variant':
      case '--preset':
      case '--out':
      case '--resume':
        args[flag.slice(2) as 'model' | 'variant' | 'preset' | 'out' | 'resume'] = value;
        break;
      case '--config':
      case '--data': {
        const [key, parsed] = keyValue(flag, value);
        args[flag === '--config' ? 'config' : 'data'][key] = parsed;
        break;
      }
      case '--seed':
        args.seed = positiveInteger(flag, value, true);
        break;
      case '--data-seed':
        args.dataSeed = positiveInteger(flag, value, true);
        break;
      case '--steps':
        args.steps = positiveInteger(flag, value);
        break;
      case '--log-every':
        args.logEvery = positiveInteger(flag, value);
        break;
      case '--save-every':
        args.saveEvery = positiveInteger(flag, value);
        break;
      case '--backend':
        if (value !== 'cpu' && value !== 'webgpu') {
          throw new ArgsError(`--backend must be cpu or webgpu (got "${value}")`);
        }
        args.backend = value;
        break;
    }
  }
  if (args.help) return args as TrainArgs;
  if (args.steps === undefined) throw new ArgsError('--steps is required');
  if (!args.out) throw new ArgsError('--out is required');
  if (args.resume) {
    const fixed = (['model', 'variant', 'preset', 'seed', 'dataSeed'] as const).filter(
      (key) => args[key] !== undefined,
    );
    if (fixed.length > 0 || Object.keys(args.config).length || Object.keys(args.data).length) {
      throw new ArgsError(
        '--resume takes the model, config, data and seeds from the checkpoint; drop --model, --variant, --preset, --config, --data and the seeds',
      );
    }
  } else if (!args.model) {
    throw new ArgsError('--model is required (or --resume a checkpoint)');
  }
  return args as TrainArgs;
}
