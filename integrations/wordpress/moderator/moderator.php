<?php
/**
 * Plugin Name:       Moderator
 * Plugin URI:        https://github.com/moderator/moderator
 * Description:       Sends new and edited comments to a self-hosted moderator service (signed webhooks), applies its decisions (signed callbacks) and reports the decisions made in wp-admin back to it.
 * Version:           1.0.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Author:            The moderator authors
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       moderator
 *
 * Moderator for WordPress is free software: you can redistribute it and/or modify it under the
 * terms of the GNU General Public License as published by the Free Software Foundation, either
 * version 2 of the License, or (at your option) any later version.
 *
 * It is distributed in the hope that it will be useful, but WITHOUT ANY WARRANTY; without even
 * the implied warranty of MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE. See the GNU
 * General Public License for more details.
 *
 * @package Moderator
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'MODERATOR_PLUGIN_VERSION', '1.0.0' );
define( 'MODERATOR_PLUGIN_DIR', __DIR__ );

require_once __DIR__ . '/includes/class-moderator-options.php';
require_once __DIR__ . '/includes/class-moderator-signature.php';
require_once __DIR__ . '/includes/class-moderator-client.php';
require_once __DIR__ . '/includes/class-moderator-comments.php';
require_once __DIR__ . '/includes/class-moderator-callback.php';
require_once __DIR__ . '/includes/class-moderator-settings.php';

Moderator_Comments::register();
Moderator_Callback::register();
Moderator_Settings::register();

register_activation_hook( __FILE__, array( 'Moderator_Comments', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Moderator_Comments', 'deactivate' ) );
