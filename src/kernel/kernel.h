// The door of src/kernel: processes, scheduler, capabilities, syscalls, supervision.
// (Grows with the kernel issue.)
#pragma once

#include "base/base.h"
#include "kernel/abi_table.h"
#include "kernel/abi_value.h"
#include "kernel/cap_audit.h"
#include "kernel/cap_encoding.h"
#include "kernel/cap_tree.h"
#include "kernel/endpoint.h"
#include "kernel/handle.h"
#include "kernel/handle_table.h"
#include "kernel/ids.h"
#include "kernel/mailbox.h"
#include "kernel/message.h"
#include "kernel/object.h"
#include "kernel/priority.h"
#include "kernel/process.h"
#include "kernel/restrictions.h"
#include "kernel/rights.h"
#include "kernel/scheduler.h"
#include "kernel/syscalls/syscalls.h"
#include "kernel/templates.h"
