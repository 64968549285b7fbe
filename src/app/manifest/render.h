// Printing a parsed manifest: `manifest check`'s one-screen summary, and `manifest show`'s
// resolved manifest (every default filled in, every path absolute) as TOML or JSON. The TOML
// form is itself a valid manifest that parses to the same model.
#pragma once

#include <string>

#include "app/manifest/model.h"

namespace esta::app::manifest {

std::string render_summary(const AppManifest& manifest);
std::string render_toml(const AppManifest& manifest);
std::string render_json(const AppManifest& manifest);

}  // namespace esta::app::manifest
