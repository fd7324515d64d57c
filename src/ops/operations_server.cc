#include "ops/operations_server.h"

#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <mutex>
#include <thread>
#include <utility>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <httplib.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "logging/logger.h"
#include "ops/listen_address.h"

namespace fabnet::ops {

namespace {

// An HTTPS server from PEM files, or nullptr and `problem` naming the file at fault.
std::unique_ptr<httplib::Server> make_tls_server(const OperationsTls& tls, std::string& problem) {
  struct Free {
    void operator()(BIO* p) const { BIO_free(p); }
    void operator()(X509* p) const { X509_free(p); }
    void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
    void operator()(X509_STORE* p) const { X509_STORE_free(p); }
  };
  auto open = [&](std::string_view what, const std::string& path) -> std::unique_ptr<BIO, Free> {
    std::unique_ptr<BIO, Free> bio(path.empty() ? nullptr : BIO_new_file(path.c_str(), "r"));
    if (!bio) problem = fmt::format("TLS {} file \"{}\" cannot be read", what, path);
    return bio;
  };
  auto cert_bio = open("certificate (tls.cert.file)", tls.cert_file);
  if (!cert_bio) return nullptr;
  std::unique_ptr<X509, Free> cert(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    problem = fmt::format("TLS certificate file \"{}\" holds no PEM certificate", tls.cert_file);
    return nullptr;
  }
  auto key_bio = open("key (tls.key.file)", tls.key_file);
  if (!key_bio) return nullptr;
  std::unique_ptr<EVP_PKEY, Free> key(
      PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  if (!key) {
    problem = fmt::format("TLS key file \"{}\" holds no PEM private key", tls.key_file);
    return nullptr;
  }
  std::unique_ptr<X509_STORE, Free> cas;
  if (tls.client_auth_required) {
    cas.reset(X509_STORE_new());
    int loaded = 0;
    for (const std::string& file : tls.client_ca_files) {
      auto bio = open("client CA (tls.clientRootCAs.files)", file);
      if (!bio) return nullptr;
      while (X509* ca = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
        X509_STORE_add_cert(cas.get(), ca);
        X509_free(ca);
        ++loaded;
      }
    }
    if (loaded == 0) {
      problem = "TLS clientAuthRequired is true but clientRootCAs.files holds no certificate";
      return nullptr;
    }
  }
  // The server's SSL_CTX takes the store; it copies what it needs of cert and key.
  auto server = std::make_unique<httplib::SSLServer>(cert.get(), key.get(), cas.get());
  if (!server->is_valid()) {
    problem = "TLS certificate and key do not form a usable pair";
    return nullptr;
  }
  cas.release();
  return server;
}

using httplib::Request;
using httplib::Response;
using nlohmann::json;

constexpr const char* kJsonType = "application/json";

// Small and short-lived: operations traffic is a scrape, a probe, a curl. The
// timeouts bound how long stop() can wait on a slow or idle client.
constexpr int kWorkerThreads = 4;
constexpr int kReadTimeoutSeconds = 2;
constexpr int kWriteTimeoutSeconds = 2;
constexpr int kKeepAliveSeconds = 1;
constexpr size_t kMaxRequestBody = 4 * 1024 * 1024;  // a config block with its orgs' certificates

void reply(Response& res, int status, const json& body) {
  res.status = status;
  // Replace invalid UTF-8 (e.g. in a provider's error text) instead of throwing.
  res.set_content(body.dump(-1, ' ', false, json::error_handler_t::replace), kJsonType);
}

json error_body(std::string_view message) {
  return json{{"error", message}};
}

// RFC 3339 UTC with milliseconds, as Fabric's healthz "time".
std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", text, millis);
}

// "" when the host resolves for a listening socket, else why not.
std::string resolve_error(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* result = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &result);
  if (rc != 0) return ::gai_strerror(rc);
  ::freeaddrinfo(result);
  return "";
}

struct Route {
  const char* path;
  std::vector<std::string_view> methods;
};

}  // namespace

struct OperationsServer::Impl {
  explicit Impl(OperationsRoutes r) : routes(std::move(r)) {}

  void install(httplib::Server& server);
  void healthz(Response& res) const;
  void status(Response& res) const;
  void join(const Request& req, Response& res) const;
  static void get_log_spec(Response& res);
  static void put_log_spec(const Request& req, Response& res);

  const OperationsRoutes routes;
  std::shared_ptr<spdlog::logger> log = logging::get_logger("operations");

  std::mutex mutex;  // start and stop
  std::unique_ptr<httplib::Server> server;
  std::optional<OperationsTls> tls;  // HTTPS when set
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  std::atomic<std::uint16_t> port{0};
  bool started = false;
  bool stopped = false;
};

void OperationsServer::Impl::healthz(Response& res) const {
  json failed = json::array();
  for (const HealthCheck& hc : routes.health_checks) {
    std::string reason;
    try {
      reason = hc.check();
    } catch (const std::exception& e) {
      reason = fmt::format("health check failed: {}", e.what());
    }
    if (!reason.empty()) failed.push_back({{"component", hc.component}, {"reason", reason}});
  }
  // Fabric's healthz.StatusOK / StatusUnavailable bodies.
  const bool healthy = failed.empty();
  json body{{"status", healthy ? "OK" : "Service Unavailable"}, {"time", utc_now()}};
  if (!healthy) body["failed_checks"] = std::move(failed);
  reply(res, healthy ? 200 : 503, body);
}

void OperationsServer::Impl::status(Response& res) const {
  if (!routes.status) return reply(res, 404, error_body("/status is not served by this process"));
  reply(res, 200, routes.status());
}

void OperationsServer::Impl::join(const Request& req, Response& res) const {
  if (!routes.join_channel) {
    return reply(res, 404, error_body("/channels/join is not served by this process"));
  }
  if (!req.body.empty() && routes.join_channel_block) {
    const OperationsRoutes::JoinResult joined = routes.join_channel_block(req.body);
    if (!joined.error.empty()) {
      return reply(res, 400, json{{"channel", joined.channel}, {"error", joined.error}});
    }
    return reply(res, 200, json{{"channel", joined.channel}, {"status", "joined"}});
  }
  const std::string channel = req.get_param_value("channel");
  if (channel.empty()) {
    return reply(res, 400,
                 error_body("query parameter channel is missing or empty; expected "
                            "POST /channels/join?channel=NAME"));
  }
  const std::string error = routes.join_channel(channel);
  if (!error.empty()) return reply(res, 400, json{{"channel", channel}, {"error", error}});
  reply(res, 200, json{{"channel", channel}, {"status", "joined"}});
}

void OperationsServer::Impl::get_log_spec(Response& res) {
  reply(res, 200, json{{"spec", logging::to_string(logging::active_logging_spec())}});
}

void OperationsServer::Impl::put_log_spec(const Request& req, Response& res) {
  const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("spec") || !body["spec"].is_string()) {
    return reply(res, 400,
                 error_body("request body is not a JSON object with a string \"spec\"; expected "
                            "e.g. {\"spec\":\"gossip.election=debug:info\"}"));
  }
  try {
    logging::set_logging_spec(logging::parse_logging_spec(body["spec"].get<std::string>()));
  } catch (const logging::LoggingSpecError& e) {
    return reply(res, 400, error_body(e.what()));
  }
  res.status = 204;
}

void OperationsServer::Impl::install(httplib::Server& server) {
  server.Get("/healthz", [this](const Request&, Response& res) { healthz(res); });
  server.Get("/metrics", [this](const Request&, Response& res) {
    if (routes.metrics == nullptr) return reply(res, 404, error_body("no metrics registry"));
    res.set_content(routes.metrics->render_prometheus(), std::string(kPrometheusContentType));
  });
  server.Get("/status", [this](const Request&, Response& res) { status(res); });
  server.Post("/channels/join", [this](const Request& req, Response& res) { join(req, res); });
  if (routes.log_spec) {
    server.Get("/logspec", [](const Request&, Response& res) { get_log_spec(res); });
    server.Put("/logspec", [](const Request& req, Response& res) { put_log_spec(req, res); });
  }

  // Known paths answer other methods with 405 and the Allow header, as Fabric does.
  const std::vector<Route> routes_table{
      {"/healthz", {"GET"}},
      {"/metrics", {"GET"}},
      {"/status", {"GET"}},
      {"/channels/join", {"POST"}},
      {"/logspec", routes.log_spec ? std::vector<std::string_view>{"GET", "PUT"}
                                   : std::vector<std::string_view>{}}};
  for (const Route& route : routes_table) {
    if (route.methods.empty()) continue;
    const std::string allow = fmt::format("{}", fmt::join(route.methods, ", "));
    const auto not_allowed = [allow](const Request& req, Response& res) {
      res.set_header("Allow", allow);
      reply(res, 405,
            error_body(fmt::format("method {} not allowed on {}; expected {}", req.method, req.path,
                                   allow)));
    };
    const auto allowed = [&](std::string_view m) {
      return std::find(route.methods.begin(), route.methods.end(), m) != route.methods.end();
    };
    if (!allowed("GET")) server.Get(route.path, not_allowed);
    if (!allowed("POST")) server.Post(route.path, not_allowed);
    if (!allowed("PUT")) server.Put(route.path, not_allowed);
    if (!allowed("DELETE")) server.Delete(route.path, not_allowed);
    if (!allowed("PATCH")) server.Patch(route.path, not_allowed);
  }

  server.set_error_handler([](const Request& req, Response& res) {
    if (!res.body.empty()) return;
    reply(
        res, res.status,
        error_body(res.status == 404 ? fmt::format("no such endpoint: {} {}", req.method, req.path)
                                     : fmt::format("HTTP status {}", res.status)));
  });
  server.set_exception_handler([](const Request&, Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    reply(res, 500, error_body(fmt::format("internal error: {}", what)));
  });
  server.set_logger([log = log](const Request& req, const Response& res) {
    log->debug("{} {} -> {}", req.method, req.path, res.status);
  });
}

OperationsServer::OperationsServer(OperationsRoutes routes)
    : impl_(std::make_unique<Impl>(std::move(routes))) {}

OperationsServer::~OperationsServer() {
  stop();
}

void OperationsServer::use_tls(OperationsTls tls) {
  std::lock_guard lock(impl_->mutex);
  impl_->tls = std::move(tls);
}

std::string OperationsServer::start(std::string_view listen_address) {
  Impl& s = *impl_;
  std::lock_guard lock(s.mutex);
  const auto fail = [&](std::string_view problem) {
    return fmt::format("operations endpoint {}: {}", listen_address, problem);
  };
  if (s.started)
    return fail(s.stopped ? "this server was stopped; create a new one" : "already started");
  const auto parsed = parse_listen_address(listen_address);
  if (const auto* error = std::get_if<std::string>(&parsed))
    return "operations endpoint: " + *error;
  const ListenAddress address = std::get<ListenAddress>(parsed);
  if (std::string error = resolve_error(address.host); !error.empty()) {
    return fail(fmt::format("cannot resolve host \"{}\": {}", address.host, error));
  }

  std::unique_ptr<httplib::Server> server;
  if (s.tls) {
    std::string problem;
    server = make_tls_server(*s.tls, problem);
    if (!server) return fail(problem);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  server->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
  server->set_read_timeout(kReadTimeoutSeconds);
  server->set_write_timeout(kWriteTimeoutSeconds);
  server->set_keep_alive_timeout(kKeepAliveSeconds);
  server->set_payload_max_length(kMaxRequestBody);
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let
  // a second peer bind the same port without an error.
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.install(*server);

  errno = 0;
  const int port = address.port == 0 ? server->bind_to_any_port(address.host)
                   : server->bind_to_port(address.host, address.port) ? address.port
                                                                      : -1;
  if (port <= 0) {
    const int error = errno;
    return fail(
        fmt::format("cannot listen: {}", error != 0 ? std::strerror(error) : "bind failed"));
  }

  s.server = std::move(server);
  s.started = true;
  s.thread = std::thread([&s] {
    s.server->listen_after_bind();
    s.listen_returned = true;
  });
  // stop() only takes effect once httplib's accept loop runs.
  while (!s.server->is_running() && !s.listen_returned) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (s.listen_returned) return fail("the accept loop ended at once");
  s.port = static_cast<std::uint16_t>(port);
  s.log->info("Operations endpoint listening on {}:{}", address.host, port);
  return "";
}

std::uint16_t OperationsServer::bound_port() const {
  return impl_->port;
}

void OperationsServer::stop() {
  Impl& s = *impl_;
  std::lock_guard lock(s.mutex);
  if (!s.started || s.stopped) return;
  s.server->stop();
  if (s.thread.joinable()) s.thread.join();
  s.stopped = true;
  s.port = 0;
  s.log->info("Operations endpoint stopped");
}

}  // namespace fabnet::ops
