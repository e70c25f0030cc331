// The target's one function is inline in its header; SwiftPM needs a source file to build a C target.
#include "CMemoryHint.h"
