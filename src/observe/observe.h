// The door of src/observe: interfaces every room calls to log, audit, trace and count.
// Depends on nothing but base. (Grows with the observability issue.)
#pragma once

#include "base/base.h"
