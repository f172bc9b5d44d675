// Errors of the patch engines as the API server reports them.
import { ApiError } from '../errors.ts';

/**
 * upstream errors.NewGenericServerResponse(422, "", {}, "", message, 0, false): reason Invalid,
 * a fixed message and empty details. The real message is dropped (no cause: only unexpected
 * responses get one), so kubectl prints "The request is invalid: the server rejected our
 * request due to an error in our request". This is what apply errors of JSON patch (and some
 * strategic merge patch errors) look like.
 */
export function unprocessable(message: string): UnprocessablePatchError {
  return new UnprocessablePatchError(message);
}

/** The 422 of a patch that does not apply; `patchError` keeps the engine's message (not sent). */
export class UnprocessablePatchError extends ApiError {
  constructor(readonly patchError: string) {
    super(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
  }
}

/**
 * A patch that cannot be applied to the object. Upstream surfaces some of these as bare 500s;
 * a client's mistake is never a server error here, so it is a 400 with the same message.
 */
export function unknownError(message: string): ApiError {
  return new ApiError(400, 'BadRequest', message);
}
