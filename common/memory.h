#ifndef DIRBRIDGE_COMMON_MEMORY_H_
#define DIRBRIDGE_COMMON_MEMORY_H_

namespace dirbridge {

// Hands the heap's free pages back to the system. For the end of a bulk
// stream (a directory search, an import): it ran on whichever pool thread
// was free, and glibc keeps each thread's arena at its high-water mark, so
// without this every bulk call on a new thread added a page set to the
// process's resident memory for good.
void ReleaseFreeMemory();

}  // namespace dirbridge

#endif  // DIRBRIDGE_COMMON_MEMORY_H_
