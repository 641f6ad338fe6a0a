# Debian packages with CPack: `exporterd` (the daemon, its systemd unit,
# alert rules and dashboards) and one `exporterd-<module>` per module, so a
# host without Ceph does not pull librados. Dependencies on shared libraries
# come from dpkg-shlibdeps. Build with scripts/package.sh (prefix /usr).

set(EXPORTERD_SHARE_DIR ${CMAKE_INSTALL_DATADIR}/exporterd)

# The Maintainer field and the changelog's signature. The project has no
# public mail address yet: lintian's bogus-mail-host is overridden until a
# build sets a real one (-DEXPORTERD_PACKAGE_CONTACT=...).
set(EXPORTERD_PACKAGE_CONTACT "exporterd maintainers <exporterd@localhost>"
    CACHE STRING "Maintainer of the Debian packages")
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

# The daemon's unit needs no capability; a module that needs one ships a
# drop-in that adds it (deploy/systemd/exporterd.service.d/).
foreach(_m IN ITEMS blackbox postfix_qshape)
  string(REPLACE "_" "-" _conf ${_m})
  if(_m IN_LIST _modules)
    install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/exporterd.service.d/${_conf}.conf
            DESTINATION lib/systemd/system/exporterd.service.d COMPONENT ${_m})
  endif()
endforeach()

# Debian policy files for every package: /usr/share/doc/<package>/copyright
# and changelog.gz (native packages: no Debian revision), and the package's
# lintian overrides, each with its reason (deploy/debian/lintian/).
set(_changelog_date "Thu, 01 Jan 1970 00:00:00 +0000")
if(DEFINED ENV{SOURCE_DATE_EPOCH})
  string(TIMESTAMP _changelog_date "%a, %d %b %Y %H:%M:%S +0000" UTC)
else()
  execute_process(COMMAND git -C ${PROJECT_SOURCE_DIR} log -1 --format=%cD
                  OUTPUT_VARIABLE _git_date OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE _git_rc ERROR_QUIET)
  if(_git_rc EQUAL 0 AND _git_date)
    set(_changelog_date "${_git_date}")
  endif()
endif()
set(_pkgdoc ${CMAKE_BINARY_DIR}/pkgdoc)
foreach(_c IN ITEMS core ${_modules})
  if(_c STREQUAL core)
    set(_pkg exporterd)
  else()
    string(REPLACE "_" "-" _pkg "exporterd-${_c}")
  endif()
  file(MAKE_DIRECTORY ${_pkgdoc}/${_pkg})
  file(WRITE ${_pkgdoc}/${_pkg}/changelog
"${_pkg} (${PROJECT_VERSION}) unstable; urgency=medium

  * Built with CPack from the exporterd sources (scripts/package.sh); the
    project's history is its git log.

 -- ${EXPORTERD_PACKAGE_CONTACT}  ${_changelog_date}
")
  execute_process(COMMAND gzip -9nf ${_pkgdoc}/${_pkg}/changelog
                  COMMAND_ERROR_IS_FATAL ANY)
  install(FILES ${PROJECT_SOURCE_DIR}/deploy/debian/copyright
                ${_pkgdoc}/${_pkg}/changelog.gz
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${_pkg} COMPONENT ${_c})
  # lintian overrides: deploy/debian/lintian/<package>, and for every
  # package contact-localhost while the contact is the placeholder; joined,
  # the package name prefixed to each override.
  set(_ovr "")
  set(_ovr_files ${_pkg})
  if(EXPORTERD_PACKAGE_CONTACT MATCHES "@localhost>")
    list(PREPEND _ovr_files contact-localhost)
  endif()
  foreach(_f IN LISTS _ovr_files)
    if(EXISTS ${PROJECT_SOURCE_DIR}/deploy/debian/lintian/${_f})
      file(STRINGS ${PROJECT_SOURCE_DIR}/deploy/debian/lintian/${_f} _lines)
      foreach(_l IN LISTS _lines)
        if(_l MATCHES "^#" OR _l STREQUAL "")
          string(APPEND _ovr "${_l}\n")
        else()
          string(APPEND _ovr "${_pkg}: ${_l}\n")
        endif()
      endforeach()
    endif()
  endforeach()
  if(_ovr)
    file(WRITE ${_pkgdoc}/${_pkg}/lintian-overrides "${_ovr}")
    install(FILES ${_pkgdoc}/${_pkg}/lintian-overrides
            DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides
            RENAME ${_pkg} COMPONENT ${_c})
  endif()
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME exporterd)
set(CPACK_PACKAGE_VENDOR "exporterd")
set(CPACK_PACKAGE_CONTACT "${EXPORTERD_PACKAGE_CONTACT}")
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
(exporterd-raid, exporterd-postfix-qshape, exporterd-ceph, exporterd-bacula,
exporterd-snmp, exporterd-blackbox).
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
      ${PROJECT_SOURCE_DIR}/deploy/debian/module/postinst
      ${PROJECT_SOURCE_DIR}/deploy/debian/module/postrm)
  set(CPACK_DEBIAN_${_M}_PACKAGE_CONTROL_STRICT_PERMISSION ON)
endforeach()

include(CPack)
