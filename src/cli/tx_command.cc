#include "cli/tx_command.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <CLI/CLI.hpp>

#include "cli/app.h"
#include "cli/client_tls.h"
#include "cli/orderer_client.h"
#include "orderer/ab.grpc.pb.h"
#include "orderer/envelopes.h"

namespace fabnet::cli {
namespace {

using Clock = std::chrono::steady_clock;

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

class TxCommand final : public Command {
 public:
  explicit TxCommand(CLI::App& parent) {
    app_ = parent.add_subcommand("tx", "Transactions for an ordering service");
    app_->require_subcommand(1);
    broadcast_ = app_->add_subcommand(
        "broadcast",
        "Send signed envelopes to an orderer's Broadcast and report how they were answered");
    broadcast_->add_option("--orderer,-o", orderer_, "Orderer endpoint host:port")->required();
    broadcast_->add_option("--channel,-c", channel_, "Channel name")->required();
    broadcast_->add_option("--count,-n", count_, "Envelopes to send")
        ->capture_default_str()
        ->check(CLI::Range(1, 100'000'000));
    broadcast_->add_option("--rate,-r", rate_, "Envelopes per second; 0 = as fast as possible")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1e7));
    broadcast_->add_option("--size,-s", size_, "Bytes of opaque transaction data per envelope")
        ->capture_default_str()
        ->check(CLI::Range(0, 100 * 1024 * 1024));
    broadcast_
        ->add_option("--msp", msp_dir_, "Client MSP folder (e.g. users/User1@org1.example.com/msp)")
        ->type_name("DIR")
        ->required();
    broadcast_->add_option("--msp-id", msp_id_, "The client's MSP ID, e.g. Org1MSP")->required();
    add_client_tls_flags(*broadcast_, tls_);
    broadcast_
        ->add_option("--acked-out", acked_out_,
                     "Append the tx_id of every envelope answered SUCCESS to FILE, as it "
                     "is answered")
        ->type_name("FILE");
    broadcast_->footer(
        "\nEach envelope is ENDORSER_TRANSACTION with a fresh tx_id; responses are read\n"
        "while sending (one per envelope, in order). Latency is from sending an envelope to\n"
        "its SUCCESS, which fabnet's orderer sends once the envelope's block is stored.\n"
        "\nExit status: 0 every envelope answered SUCCESS, 1 some refused or the orderer\n"
        "could not be reached, 2 usage error (bad flag value, unreadable MSP).");
  }

  bool selected() const override { return app_->parsed(); }

  int run(std::ostream& out, std::ostream& err) override {
    if (auto problem = host_port_problem(orderer_)) {
      fmt::print(err, "fabnet tx broadcast: --orderer {:?}: {}\n", orderer_, *problem);
      return kExitConfig;
    }
    auto msp = load_client_msp(msp_dir_, msp_id_);
    if (auto* problem = std::get_if<std::string>(&msp)) {
      fmt::print(err, "fabnet tx broadcast: {}\n", *problem);
      return kExitConfig;
    }
    const crypto::LocalMsp& client = std::get<crypto::LocalMsp>(msp);
    auto tls = client_tls(tls_);
    if (auto* problem = std::get_if<std::string>(&tls)) {
      fmt::print(err, "fabnet tx broadcast: {}\n", *problem);
      return kExitConfig;
    }
    std::ofstream acked;
    if (!acked_out_.empty()) {
      acked.open(acked_out_, std::ios::app);
      if (!acked) {
        fmt::print(err, "fabnet tx broadcast: --acked-out {:?}: cannot open for writing\n",
                   acked_out_);
        return kExitConfig;
      }
    }

    auto channel = grpc::CreateChannel(orderer_, std::get<ClientTlsSetup>(tls).credentials);
    auto stub = ::orderer::AtomicBroadcast::NewStub(channel);
    grpc::ClientContext context;
    auto stream = stub->Broadcast(&context);

    std::mutex mutex;
    std::deque<std::pair<Clock::time_point, std::string>> in_flight;  // send time, tx_id
    std::map<std::string, std::uint64_t> by_status;
    std::vector<double> latencies_ms;
    std::uint64_t answered = 0;
    std::thread reader([&] {
      ::orderer::BroadcastResponse response;
      while (stream->Read(&response)) {
        const auto now = Clock::now();
        std::lock_guard lock(mutex);
        if (in_flight.empty()) break;  // more answers than envelopes: not expected
        auto [sent, tx_id] = std::move(in_flight.front());
        in_flight.pop_front();
        ++answered;
        ++by_status[orderer::status_name(response.status())];
        if (response.status() == common::SUCCESS) {
          latencies_ms.push_back(std::chrono::duration<double, std::milli>(now - sent).count());
          if (acked) acked << tx_id << '\n' << std::flush;
        } else if (by_status[orderer::status_name(response.status())] == 1) {
          fmt::print(err, "fabnet tx broadcast: first {}: {}\n",
                     orderer::status_name(response.status()), response.info());
        }
      }
    });

    const std::string data(size_, 'x');
    const auto sign = [&client](std::string_view p) { return client.signer.sign(p); };
    const auto start = Clock::now();
    std::uint64_t sent = 0;
    bool write_failed = false;
    for (; sent < count_; ++sent) {
      if (rate_ > 0) {
        std::this_thread::sleep_until(
            start + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(static_cast<double>(sent) / rate_)));
      }
      orderer::SignedEnvelope envelope =
          orderer::make_signed_envelope(channel_, common::ENDORSER_TRANSACTION, data,
                                        client.identity, sign, std::chrono::system_clock::now());
      common::Envelope message;
      message.ParseFromString(envelope.bytes);
      {
        std::lock_guard lock(mutex);
        in_flight.emplace_back(Clock::now(), envelope.tx_id);
      }
      if (!stream->Write(message)) {
        write_failed = true;
        break;
      }
    }
    stream->WritesDone();
    reader.join();
    const grpc::Status status = stream->Finish();
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

    std::lock_guard lock(mutex);
    fmt::print(out, "sent {} envelope(s) of {} bytes to {} on channel {} in {:.2f} s\n", sent,
               size_, orderer_, channel_, seconds);
    std::string counts;
    for (const auto& [name, n] : by_status) counts += fmt::format(" {}={}", name, n);
    fmt::print(out, "answers {}:{}{}\n", answered, counts,
               answered < sent ? fmt::format(" (no answer: {})", sent - answered) : "");
    if (!latencies_ms.empty()) {
      fmt::print(out, "latency to SUCCESS: p50 {:.1f} ms, p99 {:.1f} ms; {:.0f} SUCCESS/s\n",
                 percentile(latencies_ms, 0.5), percentile(latencies_ms, 0.99),
                 static_cast<double>(latencies_ms.size()) / seconds);
    }
    if (write_failed || (!status.ok() && answered < sent)) {
      fmt::print(err, "fabnet tx broadcast: {}: stream failed: {}\n", orderer_,
                 status.ok() ? "closed early" : status.error_message());
      return kExitFailure;
    }
    const auto success = by_status.find("SUCCESS");
    const std::uint64_t ok = success == by_status.end() ? 0 : success->second;
    return ok == count_ ? kExitOk : kExitFailure;
  }

 private:
  CLI::App* app_ = nullptr;
  CLI::App* broadcast_ = nullptr;
  std::string orderer_, channel_, msp_dir_, msp_id_, acked_out_;
  ClientTlsFlags tls_;
  std::uint64_t count_ = 1;
  double rate_ = 0;
  std::size_t size_ = 1024;
};

}  // namespace

std::unique_ptr<Command> make_tx_command(CLI::App& parent) {
  return std::make_unique<TxCommand>(parent);
}

}  // namespace fabnet::cli
