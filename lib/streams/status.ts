// The metav1.Status a remote command ends with, as the kubelet writes it on the error channel
// (JSON for v4 and later, the message text for older protocols), and how clients read it.

export interface StreamStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason?: string; message: string }[] };
  code?: number;
}

export function successStatus(): StreamStatus {
  return { metadata: {}, status: 'Success' };
}

/** A command that exited non-zero: reason NonZeroExitCode, the code in an ExitCode cause. */
export function exitCodeStatus(code: number, command: string[]): StreamStatus {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

/** The status for a command's exit code (0 is success). */
export function exitStatus(code: number, command: string[]): StreamStatus {
  return code === 0 ? successStatus() : exitCodeStatus(code, command);
}

/** A failure that is not the command's own (it could not run, the runtime failed). */
export function internalErrorStatus(message: string): StreamStatus {
  const full = `Internal error occurred: ${message}`;
  return { metadata: {}, status: 'Failure', message: full, reason: 'InternalError', details: { causes: [{ message }] }, code: 500 };
}

/** What protocols before v4 write: nothing on success, the message on failure. */
export function statusText(s: StreamStatus): string {
  return s.status === 'Success' ? '' : (s.message ?? 'error');
}

export function parseStatus(json: string): StreamStatus | undefined {
  try {
    const v = JSON.parse(json) as StreamStatus;
    return v && typeof v === 'object' && (v.status === 'Success' || v.status === 'Failure') ? v : undefined;
  } catch {
    return undefined;
  }
}
