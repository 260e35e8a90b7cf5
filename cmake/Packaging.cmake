# The kiosk as one Debian package, `gatekeeper`: gated (the daemon, run by systemd as the
# system user `gated`), gatectl (the technician CLI) and pn532-sim (checks a libnfc stack
# without a reader). `cpack -G DEB` (or the `package` target) in the build directory writes
# gatekeeper_<version>_<arch>.deb next to it.
#
# gate-upstream and fault-proxy are not packaged: the reference upstream server and the fault
# injector are development and test tools; putting a network server that never runs on every
# kiosk would only widen what an attacker with a shell finds there.
#
# System paths are absolute on purpose (/etc/gated, /lib/systemd/system, /lib/udev/rules.d):
# they are where the package must put them whatever the prefix of the binaries.
include(GNUInstallDirs)

foreach(program gated gatectl pn532-sim)
  if(TARGET ${program})
    install(TARGETS ${program} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT kiosk)
  endif()
endforeach()

# The default /etc/gated/gated.toml: the sim board (runs without any hardware, so the service
# starts right after installation), with the service's state and trust directories.
# Derived from boards/sim/gated.toml at configure time so the two never drift apart.
set(GK_SIM_CONFIG ${CMAKE_SOURCE_DIR}/boards/sim/gated.toml)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${GK_SIM_CONFIG})
file(READ ${GK_SIM_CONFIG} gk_config)
string(REGEX REPLACE "state_dir = \"[^\"]*\"[^\n]*" "state_dir = \"/var/lib/gated\"                # StateDirectory= of gated.service"
  gk_config "${gk_config}")
string(REGEX REPLACE "trust_dir = \"[^\"]*\"[^\n]*" "trust_dir = \"/etc/gated/trust\"              # issuer public keys (*.pub), from gatectl provision"
  gk_config "${gk_config}")
string(REGEX REPLACE "# Relative paths are relative to this file.\n" "" gk_config "${gk_config}")
set(gk_config "# /etc/gated/gated.toml, installed by the gatekeeper package: the sim board until this
# kiosk is provisioned. Board templates: /usr/share/gatekeeper/boards/<board>/gated.toml.
${gk_config}")
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/deb/gated.toml CONTENT "${gk_config}" @ONLY)
if(NOT gk_config MATCHES "state_dir = \"/var/lib/gated\"" OR NOT gk_config MATCHES "trust_dir = \"/etc/gated/trust\"")
  message(FATAL_ERROR "Packaging: could not set state_dir/trust_dir in ${GK_SIM_CONFIG}")
endif()

install(FILES ${CMAKE_BINARY_DIR}/deb/gated.toml DESTINATION /etc/gated COMPONENT kiosk)
install(DIRECTORY DESTINATION /etc/gated/trust COMPONENT kiosk)
install(FILES ${CMAKE_SOURCE_DIR}/boards/common/gated.service
  DESTINATION /lib/systemd/system COMPONENT kiosk)
# Package rules live in /lib/udev/rules.d; an administrator overrides one by the same name
# in /etc/udev/rules.d.
install(FILES ${CMAKE_SOURCE_DIR}/boards/rpi4-pn532/99-gated.rules
  DESTINATION /lib/udev/rules.d COMPONENT kiosk)
foreach(board sim rpi4-pn532)
  file(GLOB board_files ${CMAKE_SOURCE_DIR}/boards/${board}/*.toml
    ${CMAKE_SOURCE_DIR}/boards/${board}/*.conf ${CMAKE_SOURCE_DIR}/boards/${board}/README.md)
  install(FILES ${board_files} DESTINATION ${CMAKE_INSTALL_DATADIR}/gatekeeper/boards/${board}
    COMPONENT kiosk)
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT kiosk)

# dpkg keeps an administrator's edits of a conffile across upgrades and removes it on purge.
file(WRITE ${CMAKE_BINARY_DIR}/deb/conffiles "/etc/gated/gated.toml\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME gatekeeper)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "Gatekeeper firmware team <firmware@gatekeeper.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION "Gate-checkpoint kiosk firmware: the gated daemon (QR passes,
NFC cards, temperature check, durable passage journal, gate relay) as a systemd service,
the gatectl technician CLI and the pn532-sim reader emulator.")
set(CPACK_COMPONENTS_ALL kiosk)
set(CPACK_STRIP_FILES ON)  # debug info stays in the build tree, not on every kiosk
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # gatekeeper_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_SECTION misc)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from dpkg-shlibdeps (libnfc6, libopencv-*, libsqlite3-0, ...);
# adduser for the postinst. Appended to by shlibdeps.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_BINARY_DIR}/deb/conffiles
  ${CMAKE_SOURCE_DIR}/cmake/deb/postinst
  ${CMAKE_SOURCE_DIR}/cmake/deb/prerm
  ${CMAKE_SOURCE_DIR}/cmake/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)  # scripts 0755, conffiles 0644
include(CPack)
