// The door of src/protocol: the message envelope and its validation, time-ordered ids and
// hybrid logical clock timestamps from an injectable clock, and the versioned wire codec.
// (Reliable delivery, the journal and the dead-letter queue join as they land.)
#pragma once

#include "base/base.h"
#include "protocol/clock.h"
#include "protocol/codec.h"
#include "protocol/envelope.h"
#include "protocol/frame.h"
#include "protocol/hlc.h"
#include "protocol/message_id.h"
