// The door of src/base: the pieces every room uses. Errors as values (Result, Error,
// Diagnostic), strong ids, assertions, scope guards and the bounds-checked byte reader.
#pragma once

#include "base/assert.h"
#include "base/bytes.h"
#include "base/diagnostic.h"
#include "base/error.h"
#include "base/result.h"
#include "base/scope_guard.h"
#include "base/status.h"
#include "base/strong_id.h"
#include "base/types.h"
