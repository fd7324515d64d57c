#include "up/state.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fabnet::up {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
json to_json(const ProcessId& p) {
  return {{"pid", p.pid}, {"start_ticks", p.start_ticks}};
}
ProcessId process_of(const json& j) {
  return {j.at("pid").get<pid_t>(), j.at("start_ticks").get<std::uint64_t>()};
}
}  // namespace

bool UpState::anything_alive() const {
  if (state_of(launcher) != ProcessState::kGone) return true;
  for (const auto& [name, p] : nodes)
    if (state_of(p) != ProcessState::kGone) return true;
  for (const auto& [name, p] : load)
    if (state_of(p) != ProcessState::kGone) return true;
  return false;
}

fs::path state_file(const fs::path& dir) {
  return dir / "fabnet-up.json";
}

void save_state(const fs::path& dir, const UpState& state) {
  json j;
  j["network_text"] = state.network_text;
  j["network_source"] = state.network_source;
  j["launcher"] = to_json(state.launcher);
  j["nodes"] = json::object();
  for (const auto& [name, p] : state.nodes) j["nodes"][name] = to_json(p);
  j["load"] = json::object();
  for (const auto& [name, p] : state.load) j["load"][name] = to_json(p);
  j["load_rate"] = state.load_rate;
  j["started_at"] = state.started_at;
  const fs::path tmp = state_file(dir).string() + ".tmp";
  {
    std::ofstream out(tmp);
    out << j.dump(2) << "\n";
  }
  fs::rename(tmp, state_file(dir));
}

std::optional<UpState> load_state(const fs::path& dir) {
  std::ifstream in(state_file(dir));
  if (!in) return std::nullopt;
  try {
    const json j = json::parse(in);
    UpState s;
    s.network_text = j.at("network_text").get<std::string>();
    s.network_source = j.at("network_source").get<std::string>();
    s.launcher = process_of(j.at("launcher"));
    for (const auto& [name, p] : j.at("nodes").items()) s.nodes[name] = process_of(p);
    for (const auto& [name, p] : j.at("load").items()) s.load[name] = process_of(p);
    s.load_rate = j.at("load_rate").get<double>();
    s.started_at = j.value("started_at", "");
    return s;
  } catch (const std::exception& e) {
    throw UpConfigError(fmt::format("{}: unreadable ({}); remove it if no network runs",
                                    state_file(dir).string(), e.what()));
  }
}

UpState running_network(const fs::path& dir) {
  auto state = load_state(dir);
  if (!state)
    throw UpConfigError(
        fmt::format("{}: no network here (no fabnet-up.json); start one with "
                    "`fabnet up --dir {}`",
                    dir.string(), dir.string()));
  if (!state->anything_alive())
    throw UpConfigError(fmt::format(
        "{}: stale: the network started {} has no process left; `fabnet up --dir {}` starts "
        "a new one",
        dir.string(), state->started_at, dir.string()));
  return *state;
}

}  // namespace fabnet::up
