/** An error a world operation raises; REST answers it with `status` and Webex's error body. */
export class EmulatorHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}
