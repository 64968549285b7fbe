// The door of src/protocol: the message envelope and its validation, time-ordered ids and
// hybrid logical clock timestamps from an injectable clock, the versioned wire codec,
// reliable delivery (acks and retries, dedup, reordering, flow control), the journal and
// the dead-letter queue. Tests and tools that inject faults include memory_file_system.h.
#pragma once

#include "base/base.h"
#include "protocol/ack_tracker.h"
#include "protocol/clock.h"
#include "protocol/codec.h"
#include "protocol/dead_letter_queue.h"
#include "protocol/dedup_store.h"
#include "protocol/delivery.h"
#include "protocol/envelope.h"
#include "protocol/file_system.h"
#include "protocol/flow_control.h"
#include "protocol/frame.h"
#include "protocol/hlc.h"
#include "protocol/input_log.h"
#include "protocol/journal.h"
#include "protocol/message_id.h"
#include "protocol/reorder_buffer.h"
