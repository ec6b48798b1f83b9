#ifndef DIRBRIDGE_COMMON_TERMINATION_H_
#define DIRBRIDGE_COMMON_TERMINATION_H_

namespace dirbridge {

// Blocks SIGTERM, SIGINT and SIGPIPE in the calling thread; call it in main()
// before any thread starts so every thread inherits the mask and the signal
// is taken only by WaitForTermination.
void BlockTerminationSignals();

// Waits for SIGTERM or SIGINT and returns the signal number.
int WaitForTermination();

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_TERMINATION_H_
