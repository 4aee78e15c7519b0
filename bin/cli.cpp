#include "bin/cli.hpp"

#include "config/readers/values.hpp"

namespace sluice::cli {

std::optional<options> parse(const std::vector<std::string>& args, std::string& error) {
  options opts;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i];
    std::optional<std::string> value;
    if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    auto take_value = [&]() -> std::optional<std::string> {
      if (value) return value;
      if (i + 1 < args.size()) return args[++i];
      error = arg + " needs a value";
      return std::nullopt;
    };
    if (arg == "--help" || arg == "-h") {
      opts.help = true;
    } else if (arg == "--version") {
      opts.version = true;
    } else if (arg == "--check-config") {
      opts.check_config = true;
    } else if (arg == "--config" || arg == "-c") {
      auto v = take_value();
      if (!v) return std::nullopt;
      opts.config_file = *v;
    } else if (arg == "--port" || arg == "-p") {
      auto v = take_value();
      if (!v) return std::nullopt;
      auto port = config::parse_unsigned(*v);
      if (!port || *port > 65535) {
        error = "--port takes a number from 0 to 65535, got \"" + *v + "\"";
        return std::nullopt;
      }
      opts.port = static_cast<std::uint16_t>(*port);
    } else {
      error = "unknown option \"" + args[i] + "\"";
      return std::nullopt;
    }
  }
  return opts;
}

std::string usage() {
  return R"(Usage: sluice [--config FILE] [--port N] [--check-config] [--version] [--help]

Real-time WebSocket gateway: clients connect to ws://HOST:PORT/ws; HTTP on the
same port serves /healthz, /readyz and /metrics.

  -c, --config FILE   YAML configuration (default: the embedded configuration,
                      the `uppercase` route on port 3000)
  -p, --port N        listen on port N instead of server.port (0: any free port)
      --check-config  validate the configuration, print every error, and exit
                      (0 when valid, 2 when not)
      --version       print the version and exit
  -h, --help          print this help and exit

Exit status: 0 after a clean shutdown (SIGINT/SIGTERM), 1 when the server
cannot start, 2 for a bad command line or configuration.
)";
}

}  // namespace sluice::cli
