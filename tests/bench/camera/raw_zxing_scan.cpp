// The baseline for `gatectl scan`: what a new user writes with zxing-cpp alone. The same file
// reading as gatectl (read_grey_image), then one zxing-cpp 1.4 ReadBarcodes per image, QR only,
// its default hints; PATH<TAB>TEXT per code, as gatectl scan prints. tests/bench/camera/scan.sh
// times the two whole processes over the same images in the same run.
#include <cstdio>
#include <string>

#include "gk/camera/image_file.hpp"
#include "gk/camera/qr_decoder.hpp"

int main(int argc, char** argv) {
  int status = 0;
  for (int i = 1; i < argc; ++i) {
    std::string why;
    const cv::Mat grey = gk::camera::read_grey_image(argv[i], &why);
    if (grey.empty()) {
      std::fprintf(stderr, "%s: %s\n", argv[i], why.c_str());
      status = 2;
      continue;
    }
    const auto codes = gk::camera::raw_zxing_decode(
        {grey.data, grey.cols, grey.rows, static_cast<int>(grey.step)});
    if (codes.empty()) std::printf("%s\t\n", argv[i]);
    for (const auto& c : codes) std::printf("%s\t%s\n", argv[i], c.text.c_str());
  }
  return status;
}
