import { pino, type Logger } from 'pino';

/** A pino logger that keeps its JSON lines in memory, to assert on what was (not) logged. */
export function memoryLogger(): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines, text: () => lines.join('') };
}
