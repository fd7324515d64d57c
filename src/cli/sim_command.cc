#include "cli/sim_command.h"

#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cli/app.h"
#include "config/core_config.h"
#include "sim/explore.h"
#include "sim/report.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace fabnet::cli {
namespace {

namespace fs = std::filesystem;
using sim::Duration;

constexpr std::string_view kDefaultExploreOut = "fabnet-sim-out";
// The run could not complete (out of memory, an internal error).
constexpr int kExitInternal = 3;

// Text shown inside a one-line message: the first line, control bytes escaped.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      if (!out.empty()) break;
      continue;
    }
    if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  return out;
}

// A file or directory under --out could not be written.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

void write_file(const fs::path& path, std::string_view content) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (file) file << content;
  if (!file)
    throw OutputError(fmt::format("cannot write {}: {}", path.string(), std::strerror(errno)));
}

void make_directory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw OutputError(fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));
}

bool is_terminal(const std::ostream& stream) {
  return &stream == &std::cerr && ::isatty(STDERR_FILENO) == 1;
}

// One line on stderr redrawn in place: "[#######             ] 3/10 runs · seed 4 · 42%".
// On a terminal it is cleared when done; elsewhere it ends with a newline.
class ProgressBar {
 public:
  ProgressBar(std::ostream& err, bool visible, bool on_terminal)
      : err_(err), visible_(visible), on_terminal_(on_terminal) {}
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;
  ~ProgressBar() { finish(); }

  // Whether updates within a unit of work are worth drawing (only on a terminal).
  bool live() const { return visible_ && on_terminal_; }

  // `done` of `total` units finished, and `fraction` of the current one.
  void show(int done, int total, double fraction, std::string_view label) {
    if (!visible_) return;
    constexpr int kWidth = 30;
    const double overall =
        std::clamp((done + std::clamp(fraction, 0.0, 1.0)) / std::max(total, 1), 0.0, 1.0);
    const int filled = static_cast<int>(overall * kWidth);
    std::string line =
        fmt::format("[{}{}] {}", std::string(static_cast<std::size_t>(filled), '#'),
                    std::string(static_cast<std::size_t>(kWidth - filled), ' '), label);
    if (line == last_) return;
    const std::size_t erase = last_.size() > line.size() ? last_.size() - line.size() : 0;
    err_ << '\r' << line << std::string(erase, ' ') << std::flush;
    last_ = std::move(line);
  }

  void finish() {
    if (last_.empty()) return;
    if (on_terminal_)
      err_ << '\r' << std::string(last_.size(), ' ') << '\r' << std::flush;
    else
      err_ << '\n' << std::flush;
    last_.clear();
  }

 private:
  std::ostream& err_;
  bool visible_;
  bool on_terminal_;
  std::string last_;
};

// The whole-number options of `fabnet sim`, read as text so that every bad
// value is one line and exit 2 rather than a CLI11 exit code.
std::optional<long long> whole_number(const std::string& text, long long low, long long high) {
  long long value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < low || value > high)
    return std::nullopt;
  return value;
}

// A usage error: one line on stderr, exit 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

constexpr long long kMaxRuns = 1'000'000;

class SimCommand final : public Command {
 public:
  // `fabnet sim` takes its arguments raw and parses them itself (run()), so that a
  // usage error is one line and exit 2 as the docs say, never one of CLI11's own
  // exit codes (104-109).
  explicit SimCommand(CLI::App& parent) {
    app_ = parent.add_subcommand("sim", kSummary);
    app_->prefix_command();
    app_->allow_extras();
    app_->set_help_flag();  // --help too goes to the private parser
    parser_.name("fabnet sim");
    parser_.description(kSummary);
    auto* scenario =
        parser_
            .add_option("SCENARIO", scenario_path_,
                        "Scenario YAML (docs/scenario-format.md); default: the embedded "
                        "scenario, 12 peers in 2 channels with one fault of each kind")
            ->type_name("SCENARIO.yaml");
    seed_option_ =
        parser_
            .add_option("--seed", seed_text_,
                        "Seed of the (first) run, an integer from 0 to 2^64-1, overriding the\n"
                        "scenario's; with --explore, the first random scenario's seed (default 1)")
            ->type_name("N");
    auto* runs = parser_
                     .add_option("--runs", runs_text_,
                                 "Run the scenario K times (1 to 1000000) with seeds N, N+1, ... "
                                 "and add an aggregate failover table")
                     ->type_name("K");
    parser_
        .add_option("--out", out_dir_,
                    "Write report.json, scenario.yaml, timeline SVG(s) and failover-cdf.svg\n"
                    "(with blocks also propagation-cdf.svg) here (created if missing); with\n"
                    "--explore, where reproducers go\n"
                    "(default ./fabnet-sim-out)")
        ->type_name("DIR");
    auto* explore =
        parser_
            .add_option("--explore", explore_text_,
                        "Run N random scenarios (1 to 1000000; random sizes, faults, seeds) and\n"
                        "check the settled-state invariants; write repro-<seed>.yaml for each "
                        "failure")
            ->type_name("N");
    explore->excludes(scenario);
    explore->excludes(runs);
    parser_
        .add_option("--membership", membership_,
                    "Override the scenario's membership model: gossip (Fabric's alive\n"
                    "messages, membership sync and StateInfo: the full peer logic) or ideal\n"
                    "(views from the simulator's ground truth, only the elections run: for\n"
                    "election studies at sizes Fabric's O(n^2) membership cannot reach);\n"
                    "with --explore, the model the random scenarios run in (default gossip)")
        ->type_name("MODEL");
    parser_.add_flag("--quiet", quiet_,
                     "No progress bar; print one summary line per run (and any violations)\n"
                     "instead of the full report");
    parser_.footer(
        "\nThe report gives, per (channel, org): the time to the first leader, every leader\n"
        "change, each failover (from the fault that took a leader away until every up\n"
        "member hears exactly one leader, against election.md §5: LAT/2+LED ..\n"
        "2*LAT+LED), time without a leader and with several; then messages\n"
        "and bytes sent per type, the event count and the event-log hash (equal seeds\n"
        "give equal hashes).\n"
        "\nInvariants (one leader per group with members up, all agree, no leader outside\n"
        "the org, down peers send nothing) are checked once the last fault has settled:\n"
        "after the last fault plus a settling time derived from the settings\n"
        "(docs/simulator.md). A violation makes the exit status 1.\n"
        "\nExamples:\n"
        "  fabnet sim                               the default scenario\n"
        "  fabnet sim my.yaml --seed 7              one run of my.yaml with seed 7\n"
        "  fabnet sim my.yaml --runs 20 --out out   20 seeds; JSON and SVGs in out/\n"
        "  fabnet sim --explore 200                 200 random scenarios, invariants checked\n"
        "  fabnet sim big.yaml --membership ideal   elections only, idealised membership\n"
        "  fabnet sim fabnet-sim-out/repro-42.yaml  replay a failure --explore found\n"
        "\nExit status: 0 done, 1 an invariant was violated, 2 a usage error, a bad or too\n"
        "large scenario, or an output directory that cannot be written, 3 the run could\n"
        "not complete (out of memory or an internal error). Errors are one line on stderr.");
  }

  bool selected() const override { return app_->parsed(); }

  // Nothing escapes: every failure is one line on stderr and an exit status.
  int run(std::ostream& out, std::ostream& err) override {
    try {
      if (const std::optional<int> done = parse(out)) return *done;
      return explore_ > 0 ? run_explore(out, err) : run_scenario(out, err);
    } catch (const UsageError& e) {
      fmt::print(err, "fabnet sim: {}; see fabnet sim --help\n", e.what());
    } catch (const sim::ScenarioError& e) {
      fmt::print(err, "fabnet sim: {}\n", e.what());
    } catch (const config::ConfigError& e) {
      fmt::print(err, "fabnet sim: {}\n", e.what());
    } catch (const OutputError& e) {
      fmt::print(err, "fabnet sim: {}\n", e.what());
    } catch (const std::bad_alloc&) {
      fmt::print(err,
                 "fabnet sim: out of memory; use a smaller network or membership: ideal "
                 "(docs/scenario-format.md, \"Limits\")\n");
      return kExitInternal;
    } catch (const std::exception& e) {
      fmt::print(err, "fabnet sim: internal error: {}\n", one_line(e.what()));
      return kExitInternal;
    }
    return kExitConfig;
  }

 private:
  int run_scenario(std::ostream& out, std::ostream& err) {
    const std::string source =
        scenario_path_.empty() ? std::string("<default scenario>") : scenario_path_;
    sim::Scenario scenario =
        scenario_path_.empty() ? sim::default_scenario() : sim::load_scenario_file(scenario_path_);
    if (!membership_.empty()) scenario.membership = membership();
    sim::check_topology(scenario, source);
    // Fail on an unusable --out before spending time on the runs.
    if (!out_dir_.empty()) make_directory(out_dir_);
    const std::uint64_t first_seed = seed_option_->count() > 0 ? seed_ : scenario.seed;
    if (first_seed > UINT64_MAX - static_cast<std::uint64_t>(runs_ - 1))
      throw UsageError(fmt::format("--runs {} from seed {} would pass 2^64-1", runs_, first_seed));

    const bool on_terminal = is_terminal(err);
    std::vector<sim::SimResult> results;
    results.reserve(static_cast<std::size_t>(runs_));
    {
      ProgressBar bar(err, !quiet_ && (on_terminal || runs_ > 1), on_terminal);
      for (int i = 0; i < runs_; ++i) {
        const std::uint64_t seed = first_seed + static_cast<std::uint64_t>(i);
        const auto label = [&](double fraction) {
          std::string text = runs_ == 1 ? fmt::format("seed {}", seed)
                                        : fmt::format("{}/{} runs · seed {}", i, runs_, seed);
          if (bar.live()) text += fmt::format(" · {:.0f}%", fraction * 100);
          return text;
        };
        sim::RunOptions options;
        options.seed = seed;
        options.check_invariants = true;
        if (bar.live())
          options.progress = [&](double fraction) {
            bar.show(i, runs_, fraction, label(fraction));
          };
        bar.show(i, runs_, 0, label(0));
        results.push_back(sim::run_simulation(scenario, options));
      }
      bar.show(runs_, runs_, 0, fmt::format("{}/{} runs", runs_, runs_));
    }

    const sim::FailoverBound bound = sim::failover_bound(scenario);
    const std::string invariants = invariant_note(scenario);
    if (quiet_) {
      for (const sim::SimResult& r : results) sim::print_run_summary(out, r);
    } else if (results.size() == 1) {
      sim::print_report(out, results.front(), bound);
      fmt::print(out, "{}\n", invariants);
    } else {
      fmt::print(out, "Scenario \"{}\" ({}): {} runs, seeds {} .. {}\n", scenario.name, source,
                 results.size(), first_seed, first_seed + results.size() - 1);
      for (const sim::SimResult& r : results) sim::print_run_summary(out, r);
      out << '\n';
      sim::print_failover_summary(out, results, bound);
      fmt::print(out, "\n{}\n", invariants);
    }
    // The single-run report lists its violations already.
    const bool listed = !quiet_ && results.size() == 1;
    bool violated = false;
    for (const sim::SimResult& r : results) {
      if (r.violations.empty()) continue;
      violated = true;
      if (listed) continue;
      fmt::print(out, "seed {}: {} violations\n", r.seed, r.violations.size());
      for (const std::string& v : r.violations) fmt::print(out, "  {}\n", v);
    }

    if (!out_dir_.empty()) write_outputs(out, scenario, source, first_seed, results, bound);
    return violated ? kExitFailure : kExitOk;
  }

  // When the settled-state invariants are checked (docs/scenario-format.md,
  // "Invariants"): three moments from the last fault + settling time until the
  // end less the transient allowance, each problem confirmed an allowance later.
  struct InvariantWindow {
    Duration last_fault{0};
    Duration settling{0};
    Duration allowance{0};
    Duration from{0};
    Duration to{0};
    bool checked() const { return from <= to; }
  };

  static InvariantWindow invariant_window(const sim::Scenario& scenario) {
    InvariantWindow w;
    for (const sim::Fault& f : scenario.faults) w.last_fault = std::max(w.last_fault, f.at);
    w.settling = sim::settling_time(scenario);
    w.allowance = sim::transient_allowance(scenario);
    w.from = w.last_fault + w.settling;
    w.to = scenario.duration - w.allowance;
    return w;
  }

  static std::string invariant_note(const sim::Scenario& scenario) {
    const InvariantWindow w = invariant_window(scenario);
    const auto d = [](Duration x) { return sim::format_report_duration(x); };
    if (w.checked())
      return fmt::format(
          "Invariants checked from {} to {} (last fault at {} + settling time {}; a problem "
          "counts if it lasts {})",
          d(w.from), d(w.to), d(w.last_fault), d(w.settling), d(w.allowance));
    return fmt::format(
        "Invariants not checked: the run ends at {}, before the last fault ({}) + settling "
        "time ({}) + transient allowance ({}); lengthen `duration` to check them",
        d(scenario.duration), d(w.last_fault), d(w.settling), d(w.allowance));
  }

  void write_outputs(std::ostream& out, const sim::Scenario& scenario, const std::string& source,
                     std::uint64_t first_seed, const std::vector<sim::SimResult>& results,
                     const sim::FailoverBound& bound) const {
    const fs::path dir(out_dir_);
    std::vector<std::string> written;
    const auto write = [&](const std::string& name, std::string_view content) {
      write_file(dir / name, content);
      written.push_back(name);
    };

    const InvariantWindow w = invariant_window(scenario);
    const auto seconds = [](Duration d) { return std::chrono::duration<double>(d).count(); };
    nlohmann::json report;
    report["scenario"] = scenario.name;
    report["source"] = source;
    report["settling_time_s"] = seconds(w.settling);
    report["settling_time_ns"] = w.settling.count();
    report["transient_allowance_s"] = seconds(w.allowance);
    report["transient_allowance_ns"] = w.allowance.count();
    report["invariants_checked"] = w.checked();
    report["failover_bound"] = sim::to_json(bound);
    report["runs"] = nlohmann::json::array();
    for (const sim::SimResult& r : results) report["runs"].push_back(sim::to_json(r));
    report["failover_summary"] = nlohmann::json::array();
    for (const sim::FailoverStats& s : sim::failover_stats(results))
      report["failover_summary"].push_back(sim::to_json(s));
    write("report.json", report.dump(2) + "\n");

    // The scenario as run, with the first run's seed: `fabnet sim` on it replays run 1.
    sim::Scenario as_run = scenario;
    as_run.seed = first_seed;
    write("scenario.yaml", sim::to_yaml(as_run));

    if (results.size() == 1) {
      write("timeline.svg", sim::render_timeline_svg(results.front()));
    } else {
      for (const sim::SimResult& r : results)
        write(fmt::format("timeline-{}.svg", r.seed), sim::render_timeline_svg(r));
    }
    write("failover-cdf.svg", sim::render_failover_cdf_svg(results, bound));
    if (!results.front().blocks.empty()) {
      write("propagation-cdf.svg", sim::render_propagation_cdf_svg(results));
    }

    if (written.size() <= 6) {
      std::string names;
      for (const std::string& n : written) names += (names.empty() ? "" : ", ") + n;
      fmt::print(out, "Wrote {} to {}\n", names, dir.string());
    } else {
      fmt::print(out, "Wrote report.json, scenario.yaml, {} timelines and failover-cdf.svg to {}\n",
                 results.size(), dir.string());
    }
  }

  int run_explore(std::ostream& out, std::ostream& err) {
    const std::uint64_t first_seed = seed_option_->count() > 0 ? seed_ : 1;
    const bool on_terminal = is_terminal(err);
    sim::ExploreResult result;
    {
      ProgressBar bar(err, !quiet_ && (on_terminal || explore_ > 1), on_terminal);
      bar.show(0, explore_, 0, fmt::format("0/{} scenarios", explore_));
      result = sim::explore(
          explore_, first_seed,
          [&](int done, int total) {
            bar.show(done, total, 0, fmt::format("{}/{} scenarios", done, total));
          },
          membership());
    }
    return report_explore(result, first_seed, out_dir_, out, err);
  }

  // --membership (checked against the model names); gossip when not given.
  sim::MembershipModel membership() const {
    return sim::membership_model_from(membership_).value_or(sim::MembershipModel::kGossip);
  }

  // Parses the raw arguments: nullopt to go on, or the exit status (--help).
  std::optional<int> parse(std::ostream& out) {
    std::vector<std::string> args = app_->remaining();
    std::reverse(args.begin(), args.end());  // CLI11 takes them last-first
    try {
      parser_.parse(args);
    } catch (const CLI::CallForHelp&) {
      out << parser_.help();
      return kExitOk;
    } catch (const CLI::ParseError& e) {
      throw UsageError(one_line(e.what()));
    }
    if (seed_option_->count() > 0) {
      const std::optional<std::uint64_t> seed = sim::parse_seed(seed_text_);
      if (!seed)
        throw UsageError(fmt::format("--seed: not an unsigned 64-bit integer: \"{}\"; expected {}",
                                     one_line(seed_text_), sim::kExpectSeed));
      seed_ = *seed;
    }
    if (!runs_text_.empty()) {
      const std::optional<long long> runs = whole_number(runs_text_, 1, kMaxRuns);
      if (!runs)
        throw UsageError(fmt::format("--runs: \"{}\" runs; expected a whole number from 1 to {}",
                                     one_line(runs_text_), kMaxRuns));
      runs_ = static_cast<int>(*runs);
    }
    if (!explore_text_.empty()) {
      const std::optional<long long> n = whole_number(explore_text_, 1, kMaxRuns);
      if (!n)
        throw UsageError(
            fmt::format("--explore: \"{}\" scenarios; expected a whole number from 1 to {}",
                        one_line(explore_text_), kMaxRuns));
      explore_ = static_cast<int>(*n);
    }
    if (!membership_.empty() && !sim::membership_model_from(membership_))
      throw UsageError(fmt::format("--membership: unknown model \"{}\"; expected gossip or ideal",
                                   one_line(membership_)));
    return std::nullopt;
  }

  static constexpr const char* kSummary =
      "Deterministic network simulator: many peers in one process on a virtual clock, with "
      "faults; reports leadership, failovers and message costs";

  CLI::App* app_ = nullptr;
  CLI::App parser_;
  CLI::Option* seed_option_ = nullptr;
  std::string scenario_path_;
  std::string seed_text_;
  std::uint64_t seed_ = 1;
  std::string runs_text_;
  int runs_ = 1;
  std::string out_dir_;
  std::string explore_text_;
  int explore_ = 0;
  std::string membership_;
  bool quiet_ = false;
};

}  // namespace

int report_explore(const sim::ExploreResult& result, std::uint64_t first_seed,
                   const std::string& out_dir, std::ostream& out, std::ostream& err) {
  const std::uint64_t last_seed = first_seed + static_cast<std::uint64_t>(result.runs) - 1;
  if (result.passed()) {
    fmt::print(out, "explore: {} scenarios, no invariant violated\n", result.runs);
    fmt::print(out, "  seeds {} .. {}, {} events in {:.2f} s wall\n", first_seed, last_seed,
               result.events, result.wall_seconds);
    return kExitOk;
  }
  try {
    const fs::path dir(out_dir.empty() ? std::string(kDefaultExploreOut) : out_dir);
    make_directory(dir);
    for (const sim::ExploreFailure& failure : result.failures) {
      const fs::path repro = dir / fmt::format("repro-{}.yaml", failure.seed);
      std::string yaml = fmt::format(
          "# Found by `fabnet sim --explore` (random scenario seed {}); replay with\n"
          "#   fabnet sim {}\n",
          failure.seed, repro.string());
      for (const std::string& v : failure.violations) yaml += "# violation: " + v + "\n";
      write_file(repro, yaml + failure.scenario_yaml);
      fmt::print(out, "seed {}: {} violations\n", failure.seed, failure.violations.size());
      for (const std::string& v : failure.violations) fmt::print(out, "  {}\n", v);
      fmt::print(out, "  replay: fabnet sim {}\n", repro.string());
    }
  } catch (const OutputError& e) {
    fmt::print(err, "fabnet sim: {}\n", e.what());
    return kExitConfig;
  }
  fmt::print(out, "explore: {} of {} scenarios violated an invariant (seeds {} .. {})\n",
             result.failures.size(), result.runs, first_seed, last_seed);
  return kExitFailure;
}

std::unique_ptr<Command> make_sim_command(CLI::App& parent) {
  return std::make_unique<SimCommand>(parent);
}

}  // namespace fabnet::cli
