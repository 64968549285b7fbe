// Secrets (REQUIREMENTS S-2): a driver's password or token is named by the configuration
// (an environment variable or a file), never written in it. A file readable by its group or
// by others is refused, because anyone who can read it holds the credential. The secret
// stays inside the driver; no reply or audit record carries it.
#pragma once

#include <string>

#include "base/result.h"
#include "base/types.h"

namespace esta::drivers {

struct SecretRef {
    enum class Source : u8 { None, Environment, File };
    Source source = Source::None;
    std::string name;  // The variable's name or the file's path.
};

// The secret's bytes (a file's trailing newline removed). Errors: NotFound when the variable
// or file is absent; AccessDenied "secret.file_permissions" when the file's mode grants
// group or other access (detail.actual = the mode bits); IoError when it cannot be read.
// Source::None gives an empty secret.
Result<std::string> read_secret(const SecretRef& ref);

}  // namespace esta::drivers
