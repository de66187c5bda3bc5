/** A magic line the kernel cannot expand. The message is one line: what was wrong, then the usage. */
export class MagicError extends Error {
  override readonly name = 'MagicError';
}
