/**
 * Where a set of credentials was found, for messages: explicit options, `AWS_ACCESS_KEY_ID` and friends,
 * a profile of the shared files, or none (unsigned requests).
 */
export type CredentialSource = 'options' | 'environment' | `profile ${string}` | 'anonymous';

/** The three values SigV4 signs with (the session token for temporary credentials). */
export interface AwsCredentialValues {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const HIDDEN = '(hidden)';

/**
 * An access key with its secret kept out of sight: the secret access key and the session token live in
 * private fields, so no `JSON.stringify`, `console.log`, `util.inspect`, spread or template string of the
 * credentials (or of anything holding them) shows them; only the signer reads them, through `reveal()`.
 *
 * @example
 * const c = new AwsCredentials({ accessKeyId: 'AKIA...', secretAccessKey: 's3cr3t' }, 'environment');
 * String(c); // 'AwsCredentials(AKIA... from environment)'
 * JSON.stringify(c); // '{"accessKeyId":"AKIA...","secretAccessKey":"(hidden)","source":"environment"}'
 */
export class AwsCredentials {
  readonly accessKeyId: string;
  readonly source: CredentialSource;
  readonly #secretAccessKey: string;
  readonly #sessionToken: string | undefined;

  constructor(values: AwsCredentialValues, source: Exclude<CredentialSource, 'anonymous'>) {
    this.accessKeyId = values.accessKeyId;
    this.#secretAccessKey = values.secretAccessKey;
    this.#sessionToken = values.sessionToken;
    this.source = source;
  }

  /** Whether these are temporary credentials (an expired token is a likely cause of a refusal). */
  get hasSessionToken(): boolean {
    return this.#sessionToken !== undefined;
  }

  /** The raw values, for the signer; nothing else should call this. */
  reveal(): AwsCredentialValues {
    return { accessKeyId: this.accessKeyId, secretAccessKey: this.#secretAccessKey, ...(this.#sessionToken === undefined ? {} : { sessionToken: this.#sessionToken }) };
  }

  /** Removes the secret and the token from `text` (a server's message may echo a signed header back). */
  redact(text: string): string {
    let out = text;
    for (const secret of [this.#secretAccessKey, this.#sessionToken]) {
      if (secret && secret.length >= 4) out = out.split(secret).join(HIDDEN);
    }
    return out;
  }

  toJSON(): Record<string, string | boolean> {
    return { accessKeyId: this.accessKeyId, secretAccessKey: HIDDEN, ...(this.hasSessionToken ? { sessionToken: HIDDEN } : {}), source: this.source };
  }

  toString(): string {
    return `AwsCredentials(${this.accessKeyId} from ${this.source})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}
