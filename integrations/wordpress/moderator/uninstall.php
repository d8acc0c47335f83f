<?php
/**
 * Uninstall: remove the settings and the plugin's comment meta. Comments themselves stay.
 *
 * @package Moderator
 * @license GPL-2.0-or-later
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

delete_option( 'moderator_settings' );
wp_clear_scheduled_hook( 'moderator_retry' );
wp_clear_scheduled_hook( 'moderator_retry', array( 'soon' ) );
foreach ( array( '_moderator_pending', '_moderator_attempts', '_moderator_error', '_moderator_revision', '_moderator_version', '_moderator_decided_revision', '_moderator_state', '_moderator_restore', '_moderator_platform' ) as $moderator_key ) {
	delete_metadata( 'comment', 0, $moderator_key, '', true );
}
