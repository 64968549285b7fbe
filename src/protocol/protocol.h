// The door of src/protocol: message envelope, wire codec, reliable delivery and journal.
// (Grows with the protocol issue.)
#pragma once

#include "base/base.h"
