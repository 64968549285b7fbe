// `estalogic sign MODULE.wasm --key KEY [-o OUT]`: signs a module for production mode
// (REQUIREMENTS K-23): any existing `estalogic.signature` section is removed and a new one,
// by KEY (a private key from `estalogic keygen`), is appended as the module's last section.
#include <cstdio>
#include <memory>
#include <string>

#include "app/commands.h"
#include "app/module_file.h"
#include "kernel/module_signature.h"
#include "observe/json.h"
#include "wasm/wasm.h"

namespace esta::app {
namespace {

struct SignOptions {
    std::string module;
    std::string key;
    std::string out;
};

int run_sign(const SignOptions& options) {
    const std::string out = options.out.empty() ? options.module : options.out;
    auto key = observe::Ed25519PrivateKey::load_pem(options.key);
    if (!key) {
        std::fprintf(stderr,
                     "error: cannot use %s as a signing key: %s\n"
                     "Give the private key `estalogic keygen --out KEY` wrote (PKCS#8 PEM, "
                     "readable only by you: chmod 600).\n",
                     options.key.c_str(),
                     key.error().code == Status::AccessDenied
                         ? "it is readable by group or others"
                         : "it cannot be read or is not an Ed25519 private key");
        return kExitNoInput;
    }
    FileRead module = read_file_bounded(options.module, wasm::ModuleLimits{}.module_size);
    if (!module.error.empty()) {
        std::fprintf(stderr, "error: cannot read %s: %s\n", options.module.c_str(),
                     module.error.c_str());
        return kExitNoInput;
    }
    Diagnostic diagnostic;
    if (auto compiled = wasm::compile(module.bytes, {}, &diagnostic); !compiled) {
        std::fprintf(stderr,
                     "error: %s is not a valid WebAssembly module, so it was not signed:\n  %s\n",
                     options.module.c_str(),
                     diagnostic.message.empty() ? compiled.error().to_string().c_str()
                                                : diagnostic.to_string().c_str());
        return kExitDataError;
    }
    auto signed_module = kernel::sign_module(module.bytes, *key);
    if (!signed_module) {
        std::fprintf(stderr, "error: signing %s failed: %s\n", options.module.c_str(),
                     signed_module.error().to_string().c_str());
        return kExitDataError;
    }
    if (std::string why = write_file_replacing(out, *signed_module); !why.empty()) {
        std::fprintf(stderr, "error: cannot write %s: %s\n", out.c_str(), why.c_str());
        return kExitCannotCreate;
    }
    auto sections = kernel::list_sections(*signed_module);
    const auto signed_digest =
        observe::sha256(ByteSpan(*signed_module).first(sections ? sections->back().start : 0));
    std::printf("signed %s -> %s\nkey id:        %s\nsigned sha256: %s\n", options.module.c_str(),
                out.c_str(), kernel::key_id_hex(kernel::key_id_of(key->public_key())).c_str(),
                observe::to_hex(ByteSpan(signed_digest)).c_str());
    return 0;
}

}  // namespace

void register_sign_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<SignOptions>();
    CLI::App* command = root.add_subcommand(
        "sign", "Sign a module with an Ed25519 key (required to run in production mode).");
    command->footer(
        "Removes any existing estalogic.signature section and appends a new one as the\n"
        "module's last section: Ed25519 over the SHA-256 of the module without it, plus the\n"
        "key id (first 8 bytes of SHA-256 over the public key). Sign last: embed and any\n"
        "other change to the module invalidate the signature. See docs/MODULES.md.\n"
        "Examples:\n"
        "  estalogic keygen --out release.key\n"
        "  estalogic sign rules.wasm --key release.key\n"
        "  estalogic check rules.wasm --key release.key.pub --require-signature\n"
        "Exit codes: 0 signed; 2 usage error; 65 not a valid module; 66 the module or key "
        "cannot be read; 73 the output cannot be written.\n");
    command->add_option("MODULE", options->module, "The module to sign")->required();
    command->add_option("--key", options->key, "Private key file (from estalogic keygen)")
        ->required();
    command->add_option("-o,--out", options->out,
                        "Where to write the signed module "
                        "(default: replace MODULE)");
    command->callback([options, &context] { context.exit_code = run_sign(*options); });
}

}  // namespace esta::app
