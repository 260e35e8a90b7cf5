// gatectl scan IMAGE...: the kiosk's own decoding pipeline on image files.
#include <iostream>

#include "commands.hpp"
#include "gk/camera/qr_decoder.hpp"

namespace gatectl {

void register_scan(CLI::App& app, Exit& exit) {
  auto files = std::make_shared<std::vector<std::string>>();
  auto* cmd = app.add_subcommand("scan", "Decode QR codes in images: PATH<TAB>TEXT per image");
  cmd->add_option("IMAGE", *files, "Image files")->required();
  cmd->callback([files, &exit] {
    gk::camera::QrDecoder decoder;  // one for the run, as the kiosk keeps one
    for (const auto& f : *files) {
      std::string error;
      auto texts = gk::camera::texts(gk::camera::scan_image_file(decoder, f, &error));
      if (!error.empty()) {
        std::cerr << "gatectl: " << error << "\n";
        exit.code = 2;
      }
      // Several codes in one image: one line each; none: an empty TEXT.
      if (texts.empty()) std::cout << f << "\t\n";
      for (const auto& t : texts) std::cout << f << "\t" << t << "\n";
    }
  });
}

}  // namespace gatectl
