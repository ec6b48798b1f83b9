#include "common/memory.h"

#include <malloc.h>

namespace dirbridge {

void ReleaseFreeMemory() { malloc_trim(0); }

}  // namespace dirbridge
