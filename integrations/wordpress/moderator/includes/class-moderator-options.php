<?php
/**
 * The plugin's settings: one option, `moderator_settings`, read through this class only.
 *
 * @package Moderator
 * @license GPL-2.0-or-later
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Settings with their defaults.
 */
class Moderator_Options {

	const OPTION = 'moderator_settings';

	/**
	 * Settings a constant in wp-config.php may set instead, to keep secrets out of the database.
	 */
	const CONSTANTS = array(
		'url'             => 'MODERATOR_URL',
		'webhook_secret'  => 'MODERATOR_WEBHOOK_SECRET',
		'callback_secret' => 'MODERATOR_CALLBACK_SECRET',
		'platform_token'  => 'MODERATOR_PLATFORM_TOKEN',
	);

	/** Hold each new comment until moderator approves it. */
	const MODE_HOLD = 'hold';

	/** Publish as WordPress would, then unpublish what moderator rejects or holds. */
	const MODE_PUBLISH = 'publish';

	/**
	 * Defaults of every setting.
	 *
	 * @return array<string, string>
	 */
	public static function defaults() {
		return array(
			'url'             => '',
			'webhook_secret'  => '',
			'callback_secret' => '',
			'platform_token'  => '',
			'mode'            => self::MODE_HOLD,
			'site'            => self::default_site(),
			'reject_to'       => 'trash',
		);
	}

	/**
	 * The moderator `site` this blog is by default: its host name.
	 *
	 * @return string
	 */
	public static function default_site() {
		$host = (string) wp_parse_url( home_url(), PHP_URL_HOST );
		$site = preg_replace( '/[^A-Za-z0-9._-]/', '-', $host );
		return '' === $site ? 'wordpress' : substr( $site, 0, 64 );
	}

	/**
	 * All settings, defaults filled in.
	 *
	 * @return array<string, string>
	 */
	public static function all() {
		$stored = get_option( self::OPTION, array() );
		$all    = array_merge( self::defaults(), is_array( $stored ) ? $stored : array() );
		foreach ( self::CONSTANTS as $key => $constant ) {
			if ( self::from_constant( $key ) ) {
				$all[ $key ] = (string) constant( $constant );
			}
		}
		return $all;
	}

	/**
	 * Whether a constant in wp-config.php sets this setting (it then wins over the stored one).
	 *
	 * @param string $key Setting name.
	 * @return bool
	 */
	public static function from_constant( $key ) {
		return isset( self::CONSTANTS[ $key ] ) && defined( self::CONSTANTS[ $key ] ) && '' !== (string) constant( self::CONSTANTS[ $key ] );
	}

	/**
	 * One setting.
	 *
	 * @param string $key Setting name.
	 * @return string
	 */
	public static function get( $key ) {
		$all = self::all();
		return isset( $all[ $key ] ) ? (string) $all[ $key ] : '';
	}

	/**
	 * Whether moderator's URL and the webhook secret are set (nothing is sent before).
	 *
	 * @return bool
	 */
	public static function configured() {
		return '' !== self::get( 'url' ) && '' !== self::get( 'webhook_secret' );
	}

	/**
	 * Whether new comments wait for moderator before they are published.
	 *
	 * @return bool
	 */
	public static function holds() {
		return self::MODE_PUBLISH !== self::get( 'mode' );
	}
}
