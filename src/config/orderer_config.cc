#include "config/orderer_config.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/duration.h"
#include "config/yaml_text.h"

extern char** environ;  // POSIX; not declared by every libc header

namespace fabnet::config {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kExpectString = "a single string value";
constexpr std::string_view kExpectPort = "a port number from 0 to 65535 (0 = any free port)";
constexpr std::string_view kExpectDuration = "a positive Go duration such as 15m, 30s or 1h";

// viper's lookup as the orderer uses it: ORDERER_* first, then the file.
SettingsReader reader(YAML::Node root, const Environment& env, std::string source) {
  return SettingsReader(std::move(root), env, std::move(source), "ORDERER_");
}

void read_string(const SettingsReader& r, std::string_view key, std::string& out) {
  if (auto raw = r.scalar(key, kExpectString)) out = raw->text;
}

void read_port(const SettingsReader& r, std::string_view key, std::uint16_t& out) {
  auto raw = r.scalar(key, kExpectPort);
  if (!raw) return;
  unsigned value = 0;
  const char* end = raw->text.data() + raw->text.size();
  const auto [ptr, error] = std::from_chars(raw->text.data(), end, value);
  if (error != std::errc() || ptr != end || value > 65535) {
    throw ConfigError(raw->where, std::string(key), raw->text,
                      fmt::format("invalid port \"{}\"", raw->text), std::string(kExpectPort));
  }
  out = static_cast<std::uint16_t>(value);
}

void read_duration(const SettingsReader& r, std::string_view key, std::chrono::nanoseconds& out) {
  auto raw = r.scalar(key, kExpectDuration);
  if (!raw) return;
  std::chrono::nanoseconds d{};
  try {
    d = parse_go_duration(raw->text);
  } catch (const DurationError& e) {
    throw ConfigError(raw->where, std::string(key), raw->text,
                      fmt::format("invalid duration \"{}\": {}", raw->text, e.what()),
                      std::string(kExpectDuration));
  }
  if (d <= std::chrono::nanoseconds::zero()) {
    throw ConfigError(raw->where, std::string(key), raw->text,
                      fmt::format("invalid duration \"{}\": must be greater than zero", raw->text),
                      std::string(kExpectDuration));
  }
  out = d;
}

void read_metrics_provider(const SettingsReader& r, OrdererConfig& c) {
  std::string provider;
  read_string(r, "Metrics.Provider", provider);
  if (provider.empty()) return;
  if (provider != "prometheus" && provider != "disabled") {
    throw ConfigError(c.source, "Metrics.Provider", provider,
                      provider == "statsd"
                          ? "statsd is not supported by fabnet"
                          : fmt::format("unknown metrics provider \"{}\"", provider),
                      "prometheus or disabled");
  }
  c.metrics_provider = provider;
}

void read_bool(const SettingsReader& r, std::string_view key, bool& out) {
  static constexpr std::string_view kExpectBool =
      "a boolean: true, false, True, False, TRUE, FALSE, t, f, T, F, 1 or 0";
  auto raw = r.scalar(key, kExpectBool);
  if (!raw) return;
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (raw->text == t) {
      out = true;
      return;
    }
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (raw->text == f) {
      out = false;
      return;
    }
  }
  throw ConfigError(raw->where, std::string(key), raw->text,
                    fmt::format("invalid boolean \"{}\"", raw->text), std::string(kExpectBool));
}

// A list of paths: a YAML list, or (from the environment, as viper reads a slice)
// paths separated by spaces; an environment value may also be Fabric's "[a, b]".
void read_paths(const SettingsReader& r, std::string_view key, std::vector<std::string>& out) {
  static constexpr std::string_view kExpectPaths = "a list of file paths";
  const YAML::Node n = r.node(key);
  auto split = [](std::string text) {
    for (char& c : text)
      if (c == '[' || c == ']' || c == ',') c = ' ';
    std::vector<std::string> fields;
    std::istringstream in(text);
    for (std::string field; in >> field;) fields.push_back(field);
    return fields;
  };
  if (auto e = r.from_env(key)) {
    out = split(e->text);
    return;
  }
  if (!n.IsDefined()) return;
  if (n.IsScalar()) {
    out = split(n.Scalar());
    return;
  }
  if (!n.IsSequence()) throw r.type_error(n, std::string(key), kExpectPaths);
  std::vector<std::string> list;
  for (const YAML::Node& item : n) {
    if (item.IsNull()) continue;
    if (!item.IsScalar()) throw r.type_error(item, std::string(key), kExpectPaths);
    if (!item.Scalar().empty()) list.push_back(item.Scalar());
  }
  out = std::move(list);
}

void read_tls(const SettingsReader& r, OrdererConfig::Tls& tls, std::string_view prefix) {
  const std::string p(prefix);
  read_bool(r, p + ".Enabled", tls.enabled);
  read_string(r, p + ".PrivateKey", tls.private_key);
  read_string(r, p + ".Certificate", tls.certificate);
  read_paths(r, p + ".RootCAs", tls.root_cas);
  read_bool(r, p + ".ClientAuthRequired", tls.client_auth_required);
  read_paths(r, p + ".ClientRootCAs", tls.client_root_cas);
}

OrdererConfig extract(const SettingsReader& r, std::string source) {
  OrdererConfig c;
  c.source = std::move(source);
  read_string(r, "General.ListenAddress", c.listen_address);
  read_port(r, "General.ListenPort", c.listen_port);
  read_string(r, "General.LocalMSPDir", c.local_msp_dir);
  read_string(r, "General.LocalMSPID", c.local_msp_id);
  read_duration(r, "General.Authentication.TimeWindow", c.time_window);
  read_string(r, "FileLedger.Location", c.file_ledger_location);
  read_string(r, "Operations.ListenAddress", c.operations_listen_address);
  read_metrics_provider(r, c);
  read_tls(r, c.tls, "General.TLS");
  read_tls(r, c.operations_tls, "Operations.TLS");
  return c;
}

std::string read_file(const fs::path& path) {
  constexpr std::string_view kExpect = "a readable orderer.yaml file";
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw ConfigError(path.string(), "", "", "cannot read configuration: is a directory",
                      std::string(kExpect));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path.string(), "", "",
                      fmt::format("cannot open configuration: {}", std::strerror(errno)),
                      std::string(kExpect));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path resolve(const std::string& source, const std::string& value) {
  fs::path p(value);
  if (p.is_absolute() || source.empty() || source.front() == '<') return p;
  const fs::path dir = fs::path(source).parent_path();
  return dir.empty() ? p : (dir / p).lexically_normal();
}

}  // namespace

fs::path OrdererConfig::msp_dir() const {
  return resolve(source, local_msp_dir);
}
fs::path OrdererConfig::ledger_dir() const {
  return resolve(source, file_ledger_location);
}
fs::path OrdererConfig::resolve_path(const std::string& path) const {
  return path.empty() ? fs::path() : resolve(source, path);
}

Environment orderer_environment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    if (!kv.starts_with("ORDERER_")) continue;
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

OrdererConfig load_orderer_config_string(std::string_view yaml_text, const Environment& env,
                                         std::string_view source_name) {
  const std::string source(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(fmt::format("{}:{}:{}", source, e.mark.line + 1, e.mark.column + 1), "", "",
                      fmt::format("malformed YAML: {}", e.msg), "a valid YAML document");
  }
  try {
    return extract(reader(root, env, source), source);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source, "", "", fmt::format("unreadable YAML structure: {}", e.what()),
                      "an orderer.yaml mapping");
  }
}

OrdererConfig load_orderer_config_file(const fs::path& path, const Environment& env) {
  return load_orderer_config_string(read_file(path), env, path.string());
}

}  // namespace fabnet::config
