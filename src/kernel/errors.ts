// The errors the kernel model raises: a system call refused (the errno a real kernel would
// return), and a signal a user access ended in.

/** A system call the kernel refuses (EINVAL, ENOMEM, ...): bad input to the scenario. */
export class KernelError extends Error {}

/** A signal a user access ended in (the scenario reports it as an error). */
export class UserFault extends Error {
  constructor(
    readonly signal: 'SIGSEGV' | 'SIGBUS',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The same fault taken again and again without the page tables changing: the user access
 * never completes (a livelock in the kernel; `expect last livelock`).
 */
export class FaultLivelock extends KernelError {}

/** A BUG() / VM_BUG_ON the kernel hit: the task is killed (the oops), the log says where (`expect last bug`). */
export class KernelBug extends KernelError {}
