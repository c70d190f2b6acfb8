# cmake -DSOURCE_DIR=<packaging/> -P check_desktop_files.cmake
# Validates the desktop entry and the AppStream file with the desktop's own tools (packaging/install-deps.sh
# installs them).
find_program(DESKTOP_FILE_VALIDATE desktop-file-validate REQUIRED)
find_program(APPSTREAMCLI appstreamcli REQUIRED)
execute_process(COMMAND ${DESKTOP_FILE_VALIDATE} ${SOURCE_DIR}/dev.loom.Loom.desktop
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0 OR NOT output STREQUAL "")
    message(FATAL_ERROR "desktop-file-validate: ${output}")
endif()
execute_process(COMMAND ${APPSTREAMCLI} validate --no-net ${SOURCE_DIR}/dev.loom.Loom.metainfo.xml
                RESULT_VARIABLE result OUTPUT_VARIABLE output ERROR_VARIABLE output)
if(NOT result EQUAL 0)
    message(FATAL_ERROR "appstreamcli validate: ${output}")
endif()
