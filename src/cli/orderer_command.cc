#include "cli/orderer_command.h"

#include <grpcpp/grpcpp.h>

#include <malloc.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/app.h"
#include "cli/client_tls.h"
#include "cli/orderer_client.h"
#include "config/orderer_config.h"
#include "ledger/block_hash.h"
#include "logging/logger.h"
#include "logging/logging_spec.h"
#include "orderer/ab.grpc.pb.h"
#include "orderer/envelopes.h"
#include "orderer_daemon/orderer_daemon.h"

namespace fabnet::cli {
namespace {

namespace fs = std::filesystem;

std::string hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

class OrdererCommand final : public Command {
 public:
  explicit OrdererCommand(CLI::App& parent) {
    app_ = parent.add_subcommand("orderer", "Run an ordering service, or read blocks from one");
    app_->require_subcommand(1);

    start_ = app_->add_subcommand(
        "start",
        "Start a single-node ordering service (like Fabric's solo): orderer.AtomicBroadcast\n"
        "(Broadcast, Deliver) over gRPC, a block store per channel, /healthz and /metrics");
    start_
        ->add_option("--config", config_path_,
                     "Fabric orderer.yaml (General.*, FileLedger.*, Operations.*); default:\n"
                     "orderer.yaml in $FABRIC_CFG_PATH, else in the working directory")
        ->type_name("FILE");
    start_
        ->add_option("--channels", channels_path_,
                     "Channel definitions with the orderer section (channels.yaml from\n"
                     "`fabnet crypto generate`)")
        ->type_name("FILE")
        ->required();
    start_
        ->add_option("--log-spec", log_spec_,
                     "Log levels, Fabric style (default: "
                     "$FABRIC_LOGGING_SPEC, else info)")
        ->type_name("SPEC");
    start_->footer(
        "\nEvery orderer.yaml key may be overridden by ORDERER_<KEY PATH>, e.g.\n"
        "ORDERER_GENERAL_LISTENPORT=7050. SIGINT/SIGTERM stop the orderer cleanly: pending\n"
        "envelopes are cut into a block and acknowledged first.\n"
        "\nExit status: 0 stopped by a signal, 1 could not serve, 2 configuration error.");

    fetch_ = app_->add_subcommand(
        "fetch", "Read blocks FROM..TO of a channel over Deliver (like `peer channel fetch`)");
    fetch_->add_option("--orderer,-o", orderer_, "Orderer endpoint host:port")->required();
    fetch_->add_option("--channel,-c", channel_, "Channel name")->required();
    fetch_->add_option("--from", from_, "First block number")->capture_default_str();
    fetch_->add_option("--to", to_, "Last block number (default: the newest block)");
    auto* json = fetch_->add_flag("--json", json_, "One JSON object per block on stdout");
    fetch_->add_option("--out", out_dir_, "Write each block's bytes to DIR/<channel>_<N>.block")
        ->type_name("DIR")
        ->excludes(json);
    fetch_
        ->add_option("--msp", msp_dir_, "Client MSP folder (e.g. users/User1@org1.example.com/msp)")
        ->type_name("DIR")
        ->required();
    fetch_->add_option("--msp-id", msp_id_, "The client's MSP ID, e.g. Org1MSP")->required();
    add_client_tls_flags(*fetch_, tls_);
    fetch_->footer(
        "\nBlocks are requested with FAIL_IF_NOT_READY: a --from beyond the chain is NOT_FOUND.\n"
        "\nExit status: 0 all blocks fetched, 1 the orderer refused or could not be reached,\n"
        "2 usage error (bad flag value, unreadable MSP).");
  }

  bool selected() const override { return app_->parsed(); }

  int run(std::ostream& out, std::ostream& err) override {
    if (start_->parsed()) return run_start(err);
    return run_fetch(out, err);
  }

 private:
  int run_start(std::ostream& err) {
    try {
      logging::set_logging_spec(log_spec_.empty()
                                    ? logging::logging_spec_from_environment()
                                    : logging::parse_logging_spec(log_spec_, "--log-spec"));
    } catch (const std::exception& e) {
      fmt::print(err, "fabnet orderer start: {}\n", e.what());
      return kExitConfig;
    }
    // Envelopes and blocks are allocated on many gRPC and worker threads. glibc trims a
    // thread arena's top as soon as 128 KiB are free there and grows it again for the
    // next block: an mprotect and fresh page faults per block, ~6% of the orderer's CPU
    // under load (bench/README.md). Keep up to 64 MiB free per arena instead.
    ::mallopt(M_TRIM_THRESHOLD, 64 << 20);
    ::mallopt(M_TOP_PAD, 16 << 20);
    std::unique_ptr<orderer::OrdererDaemon> daemon;
    try {
      orderer::OrdererDaemonOptions options;
      if (config_path_.empty())
        config_path_ = config::find_config_file("orderer.yaml", std::getenv("FABRIC_CFG_PATH"));
      options.config =
          config::load_orderer_config_file(config_path_, config::orderer_environment());
      options.channels_file = channels_path_;
      daemon = std::make_unique<orderer::OrdererDaemon>(std::move(options));
    } catch (const std::exception& e) {
      fmt::print(err, "fabnet orderer start: {}\n", e.what());
      return kExitConfig;
    }
    return daemon->run();
  }

  int run_fetch(std::ostream& out, std::ostream& err) {
    if (auto problem = host_port_problem(orderer_)) {
      fmt::print(err, "fabnet orderer fetch: --orderer {:?}: {}\n", orderer_, *problem);
      return kExitConfig;
    }
    if (to_ && *to_ < from_) {
      fmt::print(err,
                 "fabnet orderer fetch: --to {}: is before --from {}; expected --to >= --from\n",
                 *to_, from_);
      return kExitConfig;
    }
    auto msp = load_client_msp(msp_dir_, msp_id_);
    if (auto* problem = std::get_if<std::string>(&msp)) {
      fmt::print(err, "fabnet orderer fetch: {}\n", *problem);
      return kExitConfig;
    }
    const crypto::LocalMsp& client = std::get<crypto::LocalMsp>(msp);
    if (!out_dir_.empty()) {
      std::error_code ec;
      fs::create_directories(out_dir_, ec);
      if (ec) {
        fmt::print(err, "fabnet orderer fetch: --out {:?}: cannot create: {}\n", out_dir_,
                   ec.message());
        return kExitConfig;
      }
    }
    ::orderer::SeekInfo seek;
    seek.mutable_start()->mutable_specified()->set_number(from_);
    if (to_) {
      seek.mutable_stop()->mutable_specified()->set_number(*to_);
    } else {
      seek.mutable_stop()->mutable_newest();
    }
    seek.set_behavior(::orderer::SeekInfo::FAIL_IF_NOT_READY);
    auto tls = client_tls(tls_);
    if (auto* problem = std::get_if<std::string>(&tls)) {
      fmt::print(err, "fabnet orderer fetch: {}\n", *problem);
      return kExitConfig;
    }
    auto channel = grpc::CreateChannel(orderer_, std::get<ClientTlsSetup>(tls).credentials);
    auto stub = ::orderer::AtomicBroadcast::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    auto stream = stub->Deliver(&context);
    common::Envelope request;
    request.ParseFromString(orderer::make_seek_envelope(
        channel_, seek, client.identity,
        [&client](std::string_view p) { return client.signer.sign(p); },
        std::chrono::system_clock::now(), std::get<ClientTlsSetup>(tls).cert_hash));
    if (!stream->Write(request)) {
      fmt::print(err, "fabnet orderer fetch: cannot reach {}\n", orderer_);
      return kExitFailure;
    }
    ::orderer::DeliverResponse response;
    std::uint64_t blocks = 0;
    while (stream->Read(&response)) {
      if (response.has_status()) {
        stream->WritesDone();
        context.TryCancel();
        if (response.status() != common::SUCCESS) {
          fmt::print(err, "fabnet orderer fetch: {} answered {} after {} block(s)\n", orderer_,
                     orderer::status_name(response.status()), blocks);
          return kExitFailure;
        }
        if (out_dir_.empty() && !json_) fmt::print(out, "fetched {} block(s)\n", blocks);
        return kExitOk;
      }
      const common::Block& block = response.block();
      ++blocks;
      if (json_) {
        nlohmann::json j{{"number", block.header().number()},
                         {"previous_hash", hex(block.header().previous_hash())},
                         {"data_hash", hex(block.header().data_hash())},
                         {"header_hash", hex(ledger::header_hash(block.header()))},
                         {"envelopes", block.data().data_size()},
                         {"tx_ids", orderer::tx_ids_of(block)}};
        fmt::print(out, "{}\n", j.dump());
      } else if (!out_dir_.empty()) {
        const fs::path file =
            fs::path(out_dir_) / fmt::format("{}_{}.block", channel_, block.header().number());
        std::ofstream f(file, std::ios::binary | std::ios::trunc);
        f << block.SerializeAsString();
        if (!f) {
          fmt::print(err, "fabnet orderer fetch: cannot write {}\n", file.string());
          return kExitFailure;
        }
      } else {
        fmt::print(out, "block {}: {} envelope(s), hash {}\n", block.header().number(),
                   block.data().data_size(), hex(ledger::header_hash(block.header())));
      }
    }
    const grpc::Status status = stream->Finish();
    fmt::print(err, "fabnet orderer fetch: {}: stream ended without a status: {}\n", orderer_,
               status.ok() ? "closed" : status.error_message());
    return kExitFailure;
  }

  CLI::App* app_ = nullptr;
  CLI::App* start_ = nullptr;
  CLI::App* fetch_ = nullptr;
  std::string config_path_, channels_path_, log_spec_;
  std::string orderer_, channel_, out_dir_, msp_dir_, msp_id_;
  ClientTlsFlags tls_;
  std::uint64_t from_ = 0;
  std::optional<std::uint64_t> to_;
  bool json_ = false;
};

}  // namespace

std::unique_ptr<Command> make_orderer_command(CLI::App& parent) {
  return std::make_unique<OrdererCommand>(parent);
}

}  // namespace fabnet::cli
