// The door of src/observe: interfaces every room calls to log, audit and count. Depends on
// nothing but base. Concrete sinks, the audit log's files and its verifier have their own
// headers (log_sinks.h, audit_log.h, audit_verify.h), used by src/app which wires them.
#pragma once

#include "base/base.h"
#include "observe/clock.h"
#include "observe/log.h"
