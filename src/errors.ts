/**
 * Error classes of hwnas. Every user-facing error quotes the bad value and says what was expected.
 * The CLI prints {@link UserError}s without a stack trace and exits 2; anything else is an
 * internal failure (exit 1).
 */

/** Base class of every error hwnas throws on purpose. */
export class HwnasError extends Error {
  override name = 'HwnasError';
}

/** Bad input from the user: a file, a flag, a config field, a shape. CLI exit code 2. */
export class UserError extends HwnasError {
  override name = 'UserError';
}

/** A model file (ONNX, IR JSON, weights) that cannot be read: corrupt, truncated, wrong format. */
export class ModelFormatError extends UserError {
  override name = 'ModelFormatError';
}

/** An operator hwnas does not support, named with its node. */
export class UnsupportedOpError extends UserError {
  override name = 'UnsupportedOpError';
  constructor(
    readonly opType: string,
    readonly nodeName: string,
    detail = '',
  ) {
    super(`unsupported operator '${opType}' at node '${nodeName}'${detail ? `: ${detail}` : ''}`);
  }
}

/** Shapes that do not fit together (graph construction, data, weights). */
export class ShapeError extends UserError {
  override name = 'ShapeError';
}

/** A data set that is missing or malformed. */
export class DatasetError extends UserError {
  override name = 'DatasetError';
}

/** A malformed config, policy, table or CLI option. */
export class ConfigError extends UserError {
  override name = 'ConfigError';
}

/** A constraint/budget that no candidate can satisfy. */
export class InfeasibleError extends UserError {
  override name = 'InfeasibleError';
}

/** A user's evaluation command failed (exit code, timeout, no or bad metrics); the message ends with its stderr. */
export class EvaluationCommandError extends UserError {
  override name = 'EvaluationCommandError';
}

/** True when the error is the user's to fix (exit 2, no stack trace). */
export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}
