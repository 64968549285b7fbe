// `estalogic keygen --out KEY`: makes an Ed25519 keypair for signing audit checkpoints and
// modules: KEY holds the private key (PKCS#8 PEM, mode 0600), KEY.pub the public key.
#include <cstdio>
#include <memory>
#include <string>

#include "app/commands.h"
#include "kernel/module_signature.h"
#include "observe/crypto.h"
#include "observe/json.h"

namespace esta::app {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitCannotCreate = 73;  // EX_CANTCREAT

int run_keygen(const std::string& out) {
    auto key = observe::Ed25519PrivateKey::generate();
    if (!key) {
        std::fprintf(stderr, "error: could not generate a key (%s)\n",
                     key.error().to_string().c_str());
        return kExitFailure;
    }
    const std::string public_path = out + ".pub";
    if (auto saved = key->save_pem(out); !saved) {
        std::fprintf(stderr,
                     "error: cannot create %s: %s\n"
                     "Choose a path that does not exist yet, in a directory you can write; "
                     "keygen never overwrites a key.\n",
                     out.c_str(),
                     saved.error().code == Status::Invalid ? "the file already exists"
                                                           : "the file cannot be written");
        return kExitCannotCreate;
    }
    if (auto saved = key->public_key().save_pem(public_path); !saved) {
        std::fprintf(stderr,
                     "error: wrote %s but cannot create %s; remove %s and try again with a new "
                     "path.\n",
                     out.c_str(), public_path.c_str(), out.c_str());
        return kExitCannotCreate;
    }
    std::printf(
        "private key: %s (mode 0600; keep it on the node, never in the manifest)\n"
        "public key:  %s (give it to auditors: verify-log --key; to kernels: check --key)\n"
        "key id:      %s (first 8 bytes of the public key's SHA-256; named in signatures)\n",
        out.c_str(), public_path.c_str(),
        kernel::key_id_hex(kernel::key_id_of(key->public_key())).c_str());
    return 0;
}

}  // namespace

void register_keygen_command(CLI::App& root, CommandContext& context) {
    auto out = std::make_shared<std::string>();
    CLI::App* command = root.add_subcommand(
        "keygen", "Make an Ed25519 keypair that signs audit-log checkpoints and modules.");
    command->footer(
        "Writes KEY (private, PKCS#8 PEM, mode 0600) and KEY.pub (public, PEM). Existing files\n"
        "are never overwritten.\n"
        "Examples:\n"
        "  estalogic keygen --out /etc/estalogic/audit.key\n"
        "  estalogic verify-log /var/lib/estalogic/audit --key /etc/estalogic/audit.key.pub\n"
        "  estalogic sign rules.wasm --key release.key\n"
        "Exit codes: 0 done; 1 key generation failed; 2 usage error; 73 a file cannot be "
        "created.\n");
    command->add_option("--out", *out, "Path of the private key; the public key goes to PATH.pub")
        ->required();
    command->callback([out, &context] { context.exit_code = run_keygen(*out); });
}

}  // namespace esta::app
