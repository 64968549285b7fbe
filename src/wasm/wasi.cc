#include "wasm/wasi.h"

#include <limits>

namespace esta::wasm {
namespace {

// Preview 1 signatures, one letter per parameter: 'i' i32, 'I' i64. Every function returns
// an i32 errno except proc_exit, which returns nothing.
struct Signature {
    std::string_view name;
    std::string_view params;
};

constexpr Signature kSignatures[] = {
    {"args_get", "ii"},
    {"args_sizes_get", "ii"},
    {"environ_get", "ii"},
    {"environ_sizes_get", "ii"},
    {"clock_res_get", "ii"},
    {"clock_time_get", "iIi"},
    {"fd_advise", "iIIi"},
    {"fd_allocate", "iII"},
    {"fd_close", "i"},
    {"fd_datasync", "i"},
    {"fd_fdstat_get", "ii"},
    {"fd_fdstat_set_flags", "ii"},
    {"fd_fdstat_set_rights", "iII"},
    {"fd_filestat_get", "ii"},
    {"fd_filestat_set_size", "iI"},
    {"fd_filestat_set_times", "iIIi"},
    {"fd_pread", "iiiIi"},
    {"fd_prestat_get", "ii"},
    {"fd_prestat_dir_name", "iii"},
    {"fd_pwrite", "iiiIi"},
    {"fd_read", "iiii"},
    {"fd_readdir", "iiiIi"},
    {"fd_renumber", "ii"},
    {"fd_seek", "iIii"},
    {"fd_sync", "i"},
    {"fd_tell", "ii"},
    {"fd_write", "iiii"},
    {"path_create_directory", "iii"},
    {"path_filestat_get", "iiiii"},
    {"path_filestat_set_times", "iiiiIIi"},
    {"path_link", "iiiiiii"},
    {"path_open", "iiiiiIIii"},
    {"path_readlink", "iiiiii"},
    {"path_remove_directory", "iii"},
    {"path_rename", "iiiiii"},
    {"path_symlink", "iiiii"},
    {"path_unlink_file", "iii"},
    {"poll_oneoff", "iiii"},
    {"proc_exit", "i"},
    {"proc_raise", "i"},
    {"sched_yield", ""},
    {"random_get", "ii"},
    {"sock_accept", "iii"},
    {"sock_recv", "iiiiii"},
    {"sock_send", "iiiii"},
    {"sock_shutdown", "ii"},
};

FuncType signature_type(const Signature& signature) {
    FuncType type;
    for (char letter : signature.params)
        type.params.push_back(letter == 'I' ? ValType::I64 : ValType::I32);
    if (signature.name != "proc_exit") type.results.push_back(ValType::I32);
    return type;
}

HostResult answer(std::span<Value> results, WasiErrno error) {
    results[0] = Value::i32(static_cast<u32>(error));
    return HostResult::ok();
}

// Rights bits of fdstat (preview 1 `rights`).
constexpr u64 kRightFdRead = u64{1} << 1;
constexpr u64 kRightFdWrite = u64{1} << 6;
constexpr u64 kRightPollFdReadwrite = u64{1} << 27;
constexpr u8 kFileTypeCharacterDevice = 2;

// Guest-memory access for one call: every failure becomes EFAULT, never a trap, because a
// bad pointer handed to a system call is the guest's error to handle.
class GuestMemory {
  public:
    explicit GuestMemory(HostContext& context) : m_memory(context.memory()) {}

    bool write_u32(u64 address, u32 value) {
        return m_memory && m_memory->write<u32>(address, value).has_value();
    }
    bool write_u64(u64 address, u64 value) {
        return m_memory && m_memory->write<u64>(address, value).has_value();
    }
    std::optional<u32> read_u32(u64 address) const {
        if (!m_memory) return std::nullopt;
        auto value = m_memory->read<u32>(address);
        return value ? std::optional<u32>(*value) : std::nullopt;
    }
    std::optional<std::span<u8>> bytes(u64 address, u64 length) {
        if (!m_memory) return std::nullopt;
        auto span = m_memory->span(address, length);
        return span ? std::optional<std::span<u8>>(*span) : std::nullopt;
    }

  private:
    LinearMemory* m_memory;
};

// An iovec array {u32 buf, u32 len}[count] resolved to checked spans.
std::optional<std::vector<std::span<u8>>> read_iovecs(GuestMemory& memory, u32 address, u32 count) {
    std::vector<std::span<u8>> spans;
    // The array itself must fit; checking it first bounds the loop by the memory's size.
    if (!memory.bytes(address, u64{count} * 8)) return std::nullopt;
    spans.reserve(count);
    for (u32 i = 0; i < count; ++i) {
        auto buffer = memory.read_u32(u64{address} + u64{i} * 8);
        auto length = memory.read_u32(u64{address} + u64{i} * 8 + 4);
        if (!buffer || !length) return std::nullopt;
        auto span = memory.bytes(*buffer, *length);
        if (!span) return std::nullopt;
        spans.push_back(*span);
    }
    return spans;
}

}  // namespace

HostResult Wasi::args_or_environ_sizes(HostContext& context,
                                       const std::vector<std::string>& strings,
                                       std::span<const Value> args, std::span<Value> results) {
    GuestMemory memory(context);
    u64 buffer_size = 0;
    for (const auto& text : strings)
        buffer_size += text.size() + 1;
    if (buffer_size > std::numeric_limits<u32>::max()) return answer(results, WasiErrno::Overflow);
    if (!memory.write_u32(args[0].as_i32(), u32(strings.size())) ||
        !memory.write_u32(args[1].as_i32(), u32(buffer_size)))
        return answer(results, WasiErrno::Fault);
    return answer(results, WasiErrno::Success);
}

HostResult Wasi::args_or_environ_get(HostContext& context, const std::vector<std::string>& strings,
                                     std::span<const Value> args, std::span<Value> results) {
    GuestMemory memory(context);
    u64 pointers = args[0].as_i32();
    u64 buffer = args[1].as_i32();
    for (std::size_t i = 0; i < strings.size(); ++i) {
        const std::string& text = strings[i];
        auto target = memory.bytes(buffer, text.size() + 1);
        if (!target || buffer > std::numeric_limits<u32>::max() ||
            !memory.write_u32(pointers + 4 * i, u32(buffer)))
            return answer(results, WasiErrno::Fault);
        std::copy(text.begin(), text.end(), target->begin());
        (*target)[text.size()] = 0;
        buffer += text.size() + 1;
    }
    return answer(results, WasiErrno::Success);
}

HostResult Wasi::fd_write(HostContext& context, std::span<const Value> args,
                          std::span<Value> results) {
    u32 fd = args[0].as_i32();
    if (fd == 0 || !is_open_stream(fd)) return answer(results, WasiErrno::BadFileDescriptor);
    GuestMemory memory(context);
    auto iovecs = read_iovecs(memory, args[1].as_i32(), args[2].as_i32());
    if (!iovecs) return answer(results, WasiErrno::Fault);
    u64 total = 0;
    for (auto span : *iovecs) {
        auto written = m_host.write(fd, span);
        if (!written) return answer(results, WasiErrno::Io);
        total += *written;
        if (*written < span.size()) break;
    }
    // The sum fits: the spans lie in a memory of at most 4 GiB, and nwritten is a u32 size.
    if (total > std::numeric_limits<u32>::max()) return answer(results, WasiErrno::Overflow);
    if (!memory.write_u32(args[3].as_i32(), u32(total))) return answer(results, WasiErrno::Fault);
    return answer(results, WasiErrno::Success);
}

HostResult Wasi::fd_read(HostContext& context, std::span<const Value> args,
                         std::span<Value> results) {
    u32 fd = args[0].as_i32();
    if (fd != 0 || !is_open_stream(fd)) return answer(results, WasiErrno::BadFileDescriptor);
    GuestMemory memory(context);
    auto iovecs = read_iovecs(memory, args[1].as_i32(), args[2].as_i32());
    if (!iovecs) return answer(results, WasiErrno::Fault);
    u64 total = 0;
    for (auto span : *iovecs) {
        auto read = m_host.read_stdin(span);
        if (!read) return answer(results, WasiErrno::Io);
        total += *read;
        if (*read < span.size()) break;  // A short read: do not block for more.
    }
    if (total > std::numeric_limits<u32>::max()) return answer(results, WasiErrno::Overflow);
    if (!memory.write_u32(args[3].as_i32(), u32(total))) return answer(results, WasiErrno::Fault);
    return answer(results, WasiErrno::Success);
}

HostResult Wasi::fd_close(std::span<const Value> args, std::span<Value> results) {
    u32 fd = args[0].as_i32();
    if (!is_open_stream(fd)) return answer(results, WasiErrno::BadFileDescriptor);
    m_open[fd] = false;
    return answer(results, WasiErrno::Success);
}

HostResult Wasi::fd_seek(std::span<const Value> args, std::span<Value> results) {
    // Only the standard streams exist, and streams cannot seek.
    u32 fd = args[0].as_i32();
    return answer(results,
                  is_open_stream(fd) ? WasiErrno::NotSeekable : WasiErrno::BadFileDescriptor);
}

HostResult Wasi::fd_fdstat_get(HostContext& context, std::span<const Value> args,
                               std::span<Value> results) {
    u32 fd = args[0].as_i32();
    if (!is_open_stream(fd)) return answer(results, WasiErrno::BadFileDescriptor);
    // fdstat: u8 filetype @0, u16 flags @2, u64 rights_base @8, u64 rights_inheriting @16.
    // A character device without seek rights is what wasi-libc's isatty() looks for.
    GuestMemory memory(context);
    u64 address = args[1].as_i32();
    auto record = memory.bytes(address, 24);
    if (!record) return answer(results, WasiErrno::Fault);
    std::fill(record->begin(), record->end(), u8{0});
    (*record)[0] = kFileTypeCharacterDevice;
    u64 rights = (fd == 0 ? kRightFdRead : kRightFdWrite) | kRightPollFdReadwrite;
    memory.write_u64(address + 8, rights);
    return answer(results, WasiErrno::Success);
}

HostResult Wasi::clock_time_get(HostContext& context, std::span<const Value> args,
                                std::span<Value> results) {
    u32 id = args[0].as_i32();
    if (id > static_cast<u32>(WasiClock::ThreadCpuTime)) return answer(results, WasiErrno::Invalid);
    GuestMemory memory(context);
    if (!memory.bytes(args[2].as_i32(), 8)) return answer(results, WasiErrno::Fault);
    u64 now = m_host.clock_time(static_cast<WasiClock>(id));
    memory.write_u64(args[2].as_i32(), now);
    return answer(results, WasiErrno::Success);
}

HostResult Wasi::clock_res_get(HostContext& context, std::span<const Value> args,
                               std::span<Value> results) {
    u32 id = args[0].as_i32();
    if (id > static_cast<u32>(WasiClock::ThreadCpuTime)) return answer(results, WasiErrno::Invalid);
    GuestMemory memory(context);
    if (!memory.bytes(args[1].as_i32(), 8)) return answer(results, WasiErrno::Fault);
    memory.write_u64(args[1].as_i32(), m_host.clock_resolution(static_cast<WasiClock>(id)));
    return answer(results, WasiErrno::Success);
}

HostResult Wasi::random_get(HostContext& context, std::span<const Value> args,
                            std::span<Value> results) {
    GuestMemory memory(context);
    auto buffer = memory.bytes(args[0].as_i32(), args[1].as_i32());
    if (!buffer) return answer(results, WasiErrno::Fault);
    m_host.random(*buffer);
    return answer(results, WasiErrno::Success);
}

std::vector<WasiFunction> Wasi::functions() {
    using Args = std::span<const Value>;
    using Results = std::span<Value>;
    auto bind = [this](auto method) {
        return [this, method](HostContext& context, Args args, Results results) {
            return (this->*method)(context, args, results);
        };
    };
    auto bind_plain = [this](auto method) {
        return [this, method](HostContext&, Args args, Results results) {
            return (this->*method)(args, results);
        };
    };

    std::vector<WasiFunction> list;
    for (const auto& signature : kSignatures) {
        HostFunction function;
        std::string_view name = signature.name;
        if (name == "args_sizes_get") {
            function = [this](HostContext& context, Args args, Results results) {
                return args_or_environ_sizes(context, m_config.args, args, results);
            };
        } else if (name == "args_get") {
            function = [this](HostContext& context, Args args, Results results) {
                return args_or_environ_get(context, m_config.args, args, results);
            };
        } else if (name == "environ_sizes_get") {
            function = [this](HostContext& context, Args args, Results results) {
                return args_or_environ_sizes(context, m_config.env, args, results);
            };
        } else if (name == "environ_get") {
            function = [this](HostContext& context, Args args, Results results) {
                return args_or_environ_get(context, m_config.env, args, results);
            };
        } else if (name == "fd_write") {
            function = bind(&Wasi::fd_write);
        } else if (name == "fd_read") {
            function = bind(&Wasi::fd_read);
        } else if (name == "fd_close") {
            function = bind_plain(&Wasi::fd_close);
        } else if (name == "fd_seek") {
            function = bind_plain(&Wasi::fd_seek);
        } else if (name == "fd_fdstat_get") {
            function = bind(&Wasi::fd_fdstat_get);
        } else if (name == "fd_prestat_get" || name == "fd_prestat_dir_name") {
            // No preopened directories: wasi-libc's start-up scan stops at the first EBADF.
            function = [](HostContext&, Args, Results results) {
                return answer(results, WasiErrno::BadFileDescriptor);
            };
        } else if (name == "clock_time_get") {
            function = bind(&Wasi::clock_time_get);
        } else if (name == "clock_res_get") {
            function = bind(&Wasi::clock_res_get);
        } else if (name == "random_get") {
            function = bind(&Wasi::random_get);
        } else if (name == "sched_yield") {
            function = [](HostContext&, Args, Results results) {
                return answer(results, WasiErrno::Success);
            };
        } else if (name == "proc_exit") {
            function = [](HostContext&, Args args, Results) {
                return HostResult::exit(args[0].as_i32());
            };
        } else {
            function = [](HostContext&, Args, Results results) {
                return answer(results, WasiErrno::NoSys);
            };
        }
        list.push_back({name, signature_type(signature), std::move(function)});
    }
    return list;
}

void Wasi::define(Store& store, Linker& linker) {
    for (auto& entry : functions()) {
        FuncRef function = store.create_host_function(entry.type, std::move(entry.function));
        linker.define(kWasiModule, entry.name, Extern::of(function));
    }
}

}  // namespace esta::wasm
