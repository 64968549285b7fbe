// The door of src/kernel: processes, scheduler, capabilities, syscalls, supervision.
// (Grows with the kernel issue.)
#pragma once

#include "base/base.h"
