import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * A bearer token kept in a file that someone else rotates: the kubelet rewrites a projected service-account
 * token well before it expires (about hourly), so the file is re-read once a minute, as client-go does.
 */
export class TokenFile {
  private token: string;
  private readAt: number;

  /** Reads the file once now, so that a missing or empty file is reported at start-up; throws if so. */
  constructor(
    readonly path: string,
    private readonly maxAgeMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {
    this.token = TokenFile.parse(readFileSync(path, 'utf8'), path);
    this.readAt = this.now();
  }

  /** The current token; a failed re-read keeps the previous one (the file may be mid-rotation). */
  async value(): Promise<string> {
    if (this.now() - this.readAt < this.maxAgeMs) return this.token;
    try {
      this.token = TokenFile.parse(await readFile(this.path, 'utf8'), this.path);
    } catch {
      // Keep the old token: if it has expired the API server answers 401 and the caller reports that.
    }
    this.readAt = this.now();
    return this.token;
  }

  private static parse(text: string, path: string): string {
    const token = text.trim();
    if (token === '') throw new Error(`token file ${path} is empty`);
    return token;
  }
}
