// Broadcast -> block cut -> Deliver through a real `fabnet orderer` process on
// loopback (issue 9 §7): envelopes/s, blocks/s and the latency from an envelope's
// Broadcast SUCCESS to its block arriving at a Deliver client.
//
//   fabnet_orderer_bench [--envelopes N] [--streams S] [--size B]
//                        [--max-message-count M] [--sync every|none]
//
// Defaults: 20000 envelopes of 1024 bytes over 4 Broadcast streams, MaxMessageCount
// 10 (fabric-samples' default). Envelopes are signed before the clock starts, so the
// figures measure the orderer (validation, cutting, signing, storing, delivering),
// not the client's signing.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <httplib.h>

#include "crypto/msp.h"
#include "orderer/ab.grpc.pb.h"
#include "orderer/envelopes.h"
#include "peer_network.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// User + system CPU seconds of process `pid` so far (/proc/PID/stat, fields 14-15).
double process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::istringstream fields(text.substr(text.rfind(')') + 2));  // after "(comm) "
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

pid_t spawn(const std::vector<std::string>& argv, const fs::path& log) {
  return fabnet::testing::spawn_process(argv, log);
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

}  // namespace

int main(int argc, char** argv) {
  int envelopes = 20000, streams = 4, size = 1024, max_count = 10;
  std::string sync = "every";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--envelopes")
      envelopes = std::stoi(value);
    else if (flag == "--streams")
      streams = std::stoi(value);
    else if (flag == "--size")
      size = std::stoi(value);
    else if (flag == "--max-message-count")
      max_count = std::stoi(value);
    else if (flag == "--sync")
      sync = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  (void)sync;  // the orderer's BlockStore syncs every block (its default)
  std::random_device rd;
  const fs::path root =
      fs::temp_directory_path() / ("fabnet-orderer-bench-" + std::to_string(rd()));
  fs::create_directories(root);
  const int port = fabnet::testing::free_tcp_port();
  const int ops_port = fabnet::testing::free_tcp_port();
  const std::string endpoint = "127.0.0.1:" + std::to_string(port);
  std::ofstream(root / "network.yaml")
      << "orgs:\n  - {name: Org1, msp_id: Org1MSP, domain: org1.example.com, peers: 1}\n"
         "channels:\n  - {name: mychannel, orgs: [Org1MSP]}\n"
         "orderer:\n  {name: Orderer, msp_id: OrdererMSP, domain: example.com,\n"
         "   BatchSize: {MaxMessageCount: "
      << max_count << "}}\n";
  pid_t gen = spawn({FABNET_BINARY, "crypto", "generate", "--config",
                     (root / "network.yaml").string(), "--output", (root / "crypto").string()},
                    root / "generate.log");
  ::waitpid(gen, nullptr, 0);
  std::ofstream(root / "orderer.yaml")
      << "General:\n  ListenPort: " << port
      << "\n  LocalMSPDir: crypto/ordererOrganizations/example.com/orderers/orderer.example.com/"
         "msp\n  LocalMSPID: OrdererMSP\nFileLedger:\n  Location: ledger\n"
         "Operations:\n  ListenAddress: 127.0.0.1:"
      << ops_port << "\n";
  const pid_t orderer =
      spawn({FABNET_BINARY, "orderer", "start", "--config", (root / "orderer.yaml").string(),
             "--channels", (root / "crypto/channels.yaml").string()},
            root / "orderer.log");
  fabnet::testing::PeerNetwork::wait_until(
      [&] { return read_text(root / "orderer.log").find("started:") != std::string::npos; },
      std::chrono::seconds(20));

  const auto client = fabnet::crypto::load_local_msp(
      root / "crypto/peerOrganizations/org1.example.com/users/User1@org1.example.com/msp",
      "Org1MSP");
  const auto sign = [&client](std::string_view p) { return client.signer.sign(p); };

  // Pre-signed envelopes, split over the streams.
  std::vector<std::vector<std::pair<common::Envelope, std::string>>> batches(streams);
  const std::string data(static_cast<std::size_t>(size), 'x');
  for (int i = 0; i < envelopes; ++i) {
    auto e = fabnet::orderer::make_signed_envelope("mychannel", common::ENDORSER_TRANSACTION, data,
                                                   client.identity, sign,
                                                   std::chrono::system_clock::now());
    common::Envelope message;
    message.ParseFromString(e.bytes);
    batches[i % streams].emplace_back(std::move(message), e.tx_id);
  }

  auto channel = grpc::CreateChannel(endpoint, grpc::InsecureChannelCredentials());
  auto stub = orderer::AtomicBroadcast::NewStub(channel);
  std::mutex mutex;
  std::unordered_map<std::string, Clock::time_point> success_at, block_at;
  std::atomic<std::uint64_t> blocks{0};
  std::atomic<int> delivered{0};

  // Deliver client: from block 1 (the fresh chain holds only block 0), BLOCK_UNTIL_READY.
  // Not `next_commit`: that is the height when the orderer reads the seek, which the
  // first Broadcast blocks may already have passed (the stream then misses block 1).
  grpc::ClientContext deliver_context;
  auto deliver = stub->Deliver(&deliver_context);
  orderer::SeekInfo seek;
  seek.mutable_start()->mutable_specified()->set_number(1);
  seek.mutable_stop()->mutable_specified()->set_number(UINT64_MAX);
  common::Envelope seek_envelope;
  seek_envelope.ParseFromString(fabnet::orderer::make_seek_envelope(
      "mychannel", seek, client.identity, sign, std::chrono::system_clock::now()));
  deliver->Write(seek_envelope);
  std::thread deliver_thread([&] {
    orderer::DeliverResponse response;
    while (delivered.load() < envelopes && deliver->Read(&response)) {
      if (!response.has_block()) {
        std::printf("  Deliver stream ended with status %s\n",
                    common::Status_Name(response.status()).c_str());
        break;
      }
      const auto now = Clock::now();
      if (response.block().header().number() != 1 + blocks.load()) {
        std::printf("  WARNING: the Deliver stream sent block %llu where block %llu was due\n",
                    static_cast<unsigned long long>(response.block().header().number()),
                    static_cast<unsigned long long>(1 + blocks.load()));
      }
      ++blocks;
      std::lock_guard lock(mutex);
      for (const auto& id : fabnet::orderer::tx_ids_of(response.block())) {
        block_at.emplace(id, now);
        ++delivered;
      }
    }
  });

  const auto start = Clock::now();
  const double orderer_cpu_start = process_cpu_seconds(orderer);
  const double client_cpu_start = own_cpu_seconds();
  std::atomic<int> refused{0};
  // Each stream is a callback-API reactor: writes and reads complete on gRPC's own
  // threads, without a thread of ours woken per message, so that the machine's cores
  // go to the orderer being measured.
  class Sender final
      : public grpc::ClientBidiReactor<common::Envelope, orderer::BroadcastResponse> {
   public:
    Sender(const std::vector<std::pair<common::Envelope, std::string>>& batch,
           std::function<void(const std::string&, bool)> answered)
        : batch_(batch), answered_(std::move(answered)) {}
    void start(orderer::AtomicBroadcast::Stub& stub) {
      stub.async()->Broadcast(&context_, this);
      StartRead(&response_);
      write_next();
      StartCall();
    }
    void OnWriteDone(bool ok) override {
      if (ok) write_next();
    }
    void OnReadDone(bool ok) override {
      if (!ok) return;
      answered_(batch_[read_++].second, response_.status() == common::SUCCESS);
      if (read_ < batch_.size()) StartRead(&response_);
    }
    void OnDone(const grpc::Status&) override {
      std::lock_guard lock(mutex_);
      done_ = true;
      changed_.notify_all();
    }
    void wait() {
      std::unique_lock lock(mutex_);
      changed_.wait(lock, [&] { return done_; });
    }

   private:
    void write_next() {
      if (written_ == batch_.size()) {
        if (!writes_done_) {
          writes_done_ = true;
          StartWritesDone();
        }
        return;
      }
      // No buffer hint: a hinted write may wait for a later write to flush it, and
      // the next write starts only when this one is done.
      StartWrite(&batch_[written_++].first);
    }
    const std::vector<std::pair<common::Envelope, std::string>>& batch_;
    std::function<void(const std::string&, bool)> answered_;
    grpc::ClientContext context_;
    orderer::BroadcastResponse response_;
    std::size_t written_ = 0, read_ = 0;
    bool writes_done_ = false;
    std::mutex mutex_;
    std::condition_variable changed_;
    bool done_ = false;
  };
  std::vector<std::unique_ptr<Sender>> senders;
  for (int s = 0; s < streams; ++s) {
    senders.push_back(std::make_unique<Sender>(batches[s], [&](const std::string& id, bool ok) {
      const auto now = Clock::now();
      if (!ok) ++refused;
      std::lock_guard lock(mutex);
      success_at.emplace(id, now);
    }));
  }
  for (auto& sender : senders) sender->start(*stub);
  for (auto& sender : senders) sender->wait();
  const auto acked = Clock::now();
  // Bounded wait for the last blocks at the deliver client.
  fabnet::testing::PeerNetwork::wait_until([&] { return delivered.load() >= envelopes; },
                                           std::chrono::seconds(10));
  const auto end = Clock::now();
  if (delivered.load() < envelopes) {
    // Tells a stalled Deliver stream from blocks the orderer does not have: a second
    // stream asks for the blocks the first one is missing.
    grpc::ClientContext probe_context;
    probe_context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    auto probe = stub->Deliver(&probe_context);
    orderer::SeekInfo from_missing;
    from_missing.mutable_start()->mutable_specified()->set_number(1 + blocks.load());
    from_missing.mutable_stop()->mutable_newest();
    common::Envelope probe_seek;
    probe_seek.ParseFromString(fabnet::orderer::make_seek_envelope(
        "mychannel", from_missing, client.identity, sign, std::chrono::system_clock::now()));
    probe->Write(probe_seek);
    orderer::DeliverResponse response;
    int got = 0;
    while (probe->Read(&response) && response.has_block()) ++got;
    // What the orderer counts as handed to Deliver sessions (both streams).
    std::string sent = "?";
    httplib::Client ops("127.0.0.1", ops_port);
    if (auto metrics = ops.Get("/metrics"); metrics && metrics->status == 200) {
      std::istringstream lines(metrics->body);
      for (std::string line; std::getline(lines, line);) {
        if (line.rfind("deliver_blocks_sent{", 0) == 0) sent = line.substr(line.rfind(' ') + 1);
      }
    }
    std::printf(
        "  WARNING: the Deliver stream stopped after %llu blocks; a second stream from there "
        "got %d block(s); the orderer counts %s blocks handed to Deliver streams\n",
        static_cast<unsigned long long>(blocks.load()), got, sent.c_str());
  }
  const double orderer_cpu = process_cpu_seconds(orderer) - orderer_cpu_start;
  const double client_cpu = own_cpu_seconds() - client_cpu_start;
  deliver_context.TryCancel();
  deliver_thread.join();

  std::vector<double> latency_ms;
  {
    std::lock_guard lock(mutex);
    for (const auto& [id, at] : success_at) {
      auto b = block_at.find(id);
      if (b != block_at.end()) {
        latency_ms.push_back(std::chrono::duration<double, std::milli>(b->second - at).count());
      }
    }
  }
  const double seconds = std::chrono::duration<double>(acked - start).count();
  const double all_seconds = std::chrono::duration<double>(end - start).count();
  std::printf("orderer bench: %d envelopes of %d bytes, %d Broadcast streams, MaxMessageCount %d\n",
              envelopes, size, streams, max_count);
  std::printf("  SUCCESS: %zu (refused %d) in %.2f s = %.0f envelopes/s\n", success_at.size(),
              refused.load(), seconds, static_cast<double>(success_at.size()) / seconds);
  std::printf("  delivered: %d envelopes in %llu blocks in %.2f s = %.0f blocks/s\n",
              delivered.load(), static_cast<unsigned long long>(blocks.load()), all_seconds,
              static_cast<double>(blocks.load()) / all_seconds);
  std::printf("  SUCCESS -> block at deliver client: p50 %.2f ms, p99 %.2f ms (n=%zu)\n",
              percentile(latency_ms, 0.5), percentile(latency_ms, 0.99), latency_ms.size());
  // CPU time does not depend on what else runs on the machine, wall time does: the
  // ceiling is what the cores could do if they ran nothing but this orderer and client.
  const double cores = static_cast<double>(std::thread::hardware_concurrency());
  const double orderer_us = orderer_cpu * 1e6 / envelopes, client_us = client_cpu * 1e6 / envelopes;
  std::printf(
      "  CPU per envelope: orderer %.1f us, this client %.1f us; CPU-bound ceiling on %.0f "
      "cores: %.0f envelopes/s (orderer alone: %.0f)\n",
      orderer_us, client_us, cores, cores * 1e6 / (orderer_us + client_us),
      cores * 1e6 / orderer_us);
  ::kill(orderer, SIGTERM);
  ::waitpid(orderer, nullptr, 0);
  std::error_code ec;
  fs::remove_all(root, ec);
  return 0;
}
