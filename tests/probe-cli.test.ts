/** `npm run probe` arguments: defaults, lists, and clear messages for bad ones. */
import { describe, expect, it } from 'vitest';
import { ProbeArgsError, parseProbeArgs } from '../src/cli/probe';

describe('probe CLI arguments', () => {
  it('default to 1, 5, 10 and 50 labels per class and read a list', () => {
    expect(parseProbeArgs(['--checkpoint', 'a.safetensors']).labels).toEqual([1, 5, 10, 50]);
    const args = parseProbeArgs(['--checkpoint', 'a', '--labels', '5,10', '--digits', '1']);
    expect(args.labels).toEqual([5, 10]);
    expect(args.digits).toBe(1);
    expect(args.mode).toBe('linear');
    expect(args.task).toBe('first-digit');
  });

  it('read the mode, the task and "all" labels per class', () => {
    const args = parseProbeArgs([
      '--checkpoint',
      'a',
      '--mode',
      'fine-tune',
      '--task',
      'digits-present',
      '--labels',
      '1,all',
      '--epochs',
      '3',
    ]);
    expect(args).toMatchObject({
      mode: 'fine-tune',
      task: 'digits-present',
      labels: [1, 'all'],
      epochs: 3,
    });
  });

  it('reject a missing checkpoint, bad numbers and unknown options', () => {
    expect(() => parseProbeArgs([])).toThrow(/--checkpoint FILE is required/);
    expect(() => parseProbeArgs(['--checkpoint', 'a', '--labels', '5,x'])).toThrow(ProbeArgsError);
    expect(() => parseProbeArgs(['--checkpoint', 'a', '--seeds', '0'])).toThrow(/positive integer/);
    expect(() => parseProbeArgs(['--checkpoint', 'a', '--mode', 'x'])).toThrow(/unknown/);
    expect(() => parseProbeArgs(['--checkpoint', 'a', '--task', 'x'])).toThrow(/unknown/);
  });
});
