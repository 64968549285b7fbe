// The out-of-process driver wire (D-2): each call and each reply is one protocol Envelope
// frame (protocol/codec.h, CRC32C-checked) on a Unix stream socket. A call is a Command
// "driver.call" whose payload is a value map {op, request, scope, binding, deadline,
// caller, process}; its reply is a Response with the call's id as correlation id and the
// payload {status, context, reply}. The value encoding itself belongs to the kernel
// (kernel/abi_value.h), which drivers do not link: whoever builds a host or a client hands
// in a ValueCodec (src/app wires the kernel's).
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "drivers/contract.h"
#include "protocol/envelope.h"

namespace esta::drivers::host {

class ValueCodec {
  public:
    virtual ~ValueCodec() = default;
    virtual std::vector<u8> encode(const Value& value) const = 0;
    // Malformed input is InvalidArgs.
    virtual Result<Value> decode(ByteSpan bytes) const = 0;
};

struct WireCall {
    u32 op = 0;
    Value request;
    Scope scope;
    u64 binding = 0;
    Nanos deadline = 0;
    Caller caller = Caller::Module;
    std::string process;
};

// The error text a reply carries is one of a fixed set of static strings (Error::context
// must stay static); unknown ones come back as "driver.remote_error".
Value scope_to_value(const Scope& scope);
Result<Scope> scope_from_value(const Value& value);

protocol::Envelope call_envelope(const WireCall& call, const ValueCodec& codec, u64 sequence);
Result<WireCall> parse_call(const protocol::Envelope& envelope, const ValueCodec& codec);
// Asks the driver process to forget what `binding` holds (Driver::release: an open
// transaction is rolled back): a Command "driver.release" with payload {binding}, answered
// like a call with a null reply.
protocol::Envelope release_envelope(u64 binding, const ValueCodec& codec, u64 sequence);
bool is_release(const protocol::Envelope& envelope);
Result<u64> parse_release(const protocol::Envelope& envelope, const ValueCodec& codec);

protocol::Envelope reply_envelope(const protocol::Envelope& call, const Result<Value>& reply,
                                  const ValueCodec& codec);
Result<Value> parse_reply(const protocol::Envelope& envelope, const ValueCodec& codec);

// Blocking frame I/O on a stream socket. read_frame returns Unavailable when the peer is
// gone (EOF or reset), Timeout when the socket's receive timeout passed first, and the
// protocol's decode errors for damaged frames; write_frame Timeout for its send timeout.
Result<void> write_frame(int fd, const std::vector<u8>& frame);
Result<protocol::Envelope> read_envelope(int fd);

}  // namespace esta::drivers::host
