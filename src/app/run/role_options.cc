#include <algorithm>
#include <filesystem>

#include "app/run/node_role.h"

namespace esta::app::run {

Result<std::optional<RoleOptions>> role_options(const manifest::AppManifest& manifest,
                                                const RoleFlags& flags, const NodeOptions& node) {
    const auto& redundancy = manifest.redundancy;
    RoleOptions options;
    options.role = redundancy.role;
    if (flags.role == "primary") {
        options.role = manifest::RedundancyRole::Primary;
    } else if (flags.role == "standby") {
        options.role = manifest::RedundancyRole::Standby;
    } else if (flags.role == "single") {
        options.role = manifest::RedundancyRole::Single;
    } else if (!flags.role.empty()) {
        return Err(Status::Invalid, "--role is primary, standby or single");
    }
    if (options.role == manifest::RedundancyRole::Single) return std::optional<RoleOptions>();
    options.peer = flags.peer.empty() ? redundancy.peer : flags.peer;
    options.listen = flags.listen.empty() ? redundancy.listen : flags.listen;
    options.lock_file = flags.lock_file.empty()
                            ? redundancy.lock_file
                            : std::filesystem::absolute(flags.lock_file).string();
    if (options.peer.empty())
        return Err(Status::Invalid, "a primary or standby needs --peer HOST:PORT (the other node)");
    if (options.listen.empty())
        return Err(Status::Invalid, "a primary or standby needs --listen HOST:PORT (for its peer)");
    options.witness_pg = flags.witness_pg;
    options.pair_name = manifest.name;
    if (options.lock_file.empty() == options.witness_pg.empty())
        return Err(Status::Invalid,
                   "a primary or standby needs one witness: --lock-file PATH (one host; or "
                   "lock_file in [redundancy]) or --witness-pg CONNINFO");
    options.config.heartbeat = i64{redundancy.heartbeat_ms} * protocol::kNanosPerMilli;
    options.config.timeout = i64{redundancy.timeout_ms} * protocol::kNanosPerMilli;
    options.config.synchronous = redundancy.synchronous;
    options.config.checkpoint_every = flags.checkpoint_every.value_or(redundancy.checkpoint_every);
    if (options.config.checkpoint_every == 0)
        return Err(Status::Invalid, "--checkpoint-every is 1 or more journal entries");
    options.standby_timeout_ms = flags.standby_timeout_ms.value_or(redundancy.standby_timeout_ms);
    options.process = !node.input_process.empty()  ? node.input_process
                      : manifest.processes.empty() ? std::string()
                                                   : manifest.processes.front().name;
    options.message_type = node.message_type;
    options.window = std::max<u32>(1, node.window * 4);
    return std::optional<RoleOptions>(std::move(options));
}

}  // namespace esta::app::run
