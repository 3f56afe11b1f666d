import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** Where a command writes its usage and errors. */
export interface UsageIo {
  readonly stdout: { write(chunk: string): unknown };
  readonly stderr: { write(chunk: string): unknown };
}

/** The parsed option values of a command whose options are `T`. */
export type CommandOptions<T extends ParseArgsOptionsConfig> =
  ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true }>>['values'];

/**
 * Parses a command's arguments (strict: an unknown option is an error). Returns the option values, or the exit
 * code the command should end with: 2 after a usage error (the error and `usage` on stderr), 0 after `--help`
 * (`usage` on stdout). Every command that takes options has `help: { type: 'boolean', short: 'h' }`.
 */
export function parseCommandArgs<T extends ParseArgsOptionsConfig>(
  command: string, usage: string, args: readonly string[], options: T, io: UsageIo,
): CommandOptions<T> | number {
  let values: CommandOptions<T>;
  try {
    values = parseArgs({ args: [...args], options, strict: true }).values;
  } catch (error) {
    io.stderr.write(`${command}: ${(error as Error).message}\n${usage}`);
    return 2;
  }
  if ((values as { help?: boolean }).help === true) {
    io.stdout.write(usage);
    return 0;
  }
  return values;
}
