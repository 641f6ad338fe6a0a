# Debian packages with CPack: `exporterd` (the daemon, its systemd unit,
# alert rules and dashboards) and one `exporterd-<module>` per module, so a
# host without Ceph does not pull librados. Dependencies on shared libraries
# come from dpkg-shlibdeps. Build with scripts/package.sh (prefix /usr).

set(EXPORTERD_SHARE_DIR ${CMAKE_INSTALL_DATADIR}/exporterd)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/exporterd.service
        DESTINATION lib/systemd/system COMPONENT core)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/default
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default
        RENAME exporterd COMPONENT core)
# The daemon's own alert rules; each module package ships its module's
# (exporterd_add_module).
install(FILES ${PROJECT_SOURCE_DIR}/deploy/alerts/exporterd.yml
        DESTINATION ${EXPORTERD_SHARE_DIR}/alerts COMPONENT core)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/exporterd.yml
              ${PROJECT_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT core)

get_property(_modules GLOBAL PROPERTY EXPORTERD_INSTALLED_MODULES)
set(CPACK_COMPONENTS_ALL core ${_modules})

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME exporterd)
set(CPACK_PACKAGE_VENDOR "exporterd")
set(CPACK_PACKAGE_CONTACT "exporterd maintainers <exporterd@localhost>")
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: each description's first line is
# its package's summary.
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_CORE_PACKAGE_NAME exporterd)
set(CPACK_DEBIAN_CORE_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_CORE_DESCRIPTION
    "one Prometheus exporter for the whole host
The exporterd daemon serves /metrics for the modules installed beside it
(exporterd-raid, exporterd-postfix-qshape, exporterd-ceph, exporterd-bacula).
Ships a systemd unit, Prometheus alert rules and Grafana dashboards.")
set(CPACK_DEBIAN_CORE_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/deploy/debian/postinst
    ${PROJECT_SOURCE_DIR}/deploy/debian/prerm
    ${PROJECT_SOURCE_DIR}/deploy/debian/postrm
    ${PROJECT_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_CORE_PACKAGE_CONTROL_STRICT_PERMISSION ON)

foreach(_m IN LISTS _modules)
  string(TOUPPER ${_m} _M)
  string(REPLACE "_" "-" _pkg "exporterd-${_m}")
  set(CPACK_DEBIAN_${_M}_PACKAGE_NAME ${_pkg})
  # Modules are pinned to the daemon's build (see module_abi.h).
  set(CPACK_DEBIAN_${_M}_PACKAGE_DEPENDS "exporterd (= ${PROJECT_VERSION})")
  set(CPACK_DEBIAN_${_M}_DESCRIPTION "${_m} module for exporterd
The daemon loads it when it starts: installing the package restarts a
running exporterd service.")
  set(CPACK_DEBIAN_${_M}_PACKAGE_CONTROL_EXTRA
      ${PROJECT_SOURCE_DIR}/deploy/debian/module-postinst)
  set(CPACK_DEBIAN_${_M}_PACKAGE_CONTROL_STRICT_PERMISSION ON)
endforeach()

include(CPack)
