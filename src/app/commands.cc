#include "app/commands.h"

namespace esta::app {

void register_run_command(CLI::App& root, CommandContext& context);         // cmd_run.cc
void register_status_command(CLI::App& root, CommandContext& context);      // cmd_status.cc
void register_exec_command(CLI::App& root, CommandContext& context);        // cmd_exec.cc
void register_wast_command(CLI::App& root, CommandContext& context);        // cmd_wast.cc
void register_keygen_command(CLI::App& root, CommandContext& context);      // cmd_keygen.cc
void register_verify_log_command(CLI::App& root, CommandContext& context);  // cmd_verify_log.cc
void register_audit_command(CLI::App& root, CommandContext& context);       // cmd_audit.cc
void register_dlq_command(CLI::App& root, CommandContext& context);         // cmd_dlq.cc
void register_driver_command(CLI::App& root, CommandContext& context);      // cmd_driver.cc
void register_check_command(CLI::App& root, CommandContext& context);       // cmd_check.cc
void register_embed_command(CLI::App& root, CommandContext& context);       // cmd_embed.cc
void register_sign_command(CLI::App& root, CommandContext& context);        // cmd_sign.cc
void register_manifest_command(CLI::App& root, CommandContext& context);    // cmd_manifest.cc
void register_replay_command(CLI::App& root, CommandContext& context);      // cmd_replay.cc
void register_upgrade_command(CLI::App& root, CommandContext& context);     // cmd_upgrade.cc

void register_all_commands(CLI::App& root, CommandContext& context) {
    // Subcommands register here as their rooms land (exec, wast, run, check, ...).
    register_run_command(root, context);
    register_status_command(root, context);
    register_exec_command(root, context);
    register_wast_command(root, context);
    register_keygen_command(root, context);
    register_verify_log_command(root, context);
    register_audit_command(root, context);
    register_dlq_command(root, context);
    register_driver_command(root, context);
    register_check_command(root, context);
    register_embed_command(root, context);
    register_sign_command(root, context);
    register_manifest_command(root, context);
    register_replay_command(root, context);
    register_upgrade_command(root, context);
}

}  // namespace esta::app
