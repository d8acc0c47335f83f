<?php
/**
 * Moderator's signature scheme, both ways: `X-Moderator-Signature: t=<unix s>,v1=<hex>`, the
 * HMAC-SHA256 of "<t>." followed by the raw body, keyed with the shared secret. Webhooks are
 * signed with the webhook secret, callbacks with the callback secret.
 *
 * @package Moderator
 * @license GPL-2.0-or-later
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Signs and verifies.
 */
class Moderator_Signature {

	const HEADER = 'X-Moderator-Signature';

	/** Signatures further than this from now are refused (moderator's own default). */
	const TOLERANCE_S = 300;

	/** At most this many v1 values in one header (several while a secret is rotated). */
	const MAX_CANDIDATES = 8;

	/**
	 * The header value for `$body` signed at `$timestamp`.
	 *
	 * @param string $secret    Shared secret.
	 * @param string $body      Raw body, exactly as sent.
	 * @param int    $timestamp Unix seconds.
	 * @return string
	 */
	public static function sign( $secret, $body, $timestamp ) {
		$timestamp = (int) $timestamp;
		return 't=' . $timestamp . ',v1=' . hash_hmac( 'sha256', $timestamp . '.' . $body, $secret );
	}

	/**
	 * Why `$header` is not a fresh, valid signature of `$body`; null when it is.
	 *
	 * @param string      $secret Shared secret.
	 * @param string|null $header The header as received.
	 * @param string      $body   Raw body.
	 * @param int         $now    Unix seconds.
	 * @return string|null
	 */
	public static function problem( $secret, $header, $body, $now ) {
		if ( '' === (string) $secret ) {
			return 'The callback secret is not set in Settings > Moderator.';
		}
		if ( null === $header || '' === $header ) {
			return 'The ' . self::HEADER . ' header is missing.';
		}
		$timestamp  = null;
		$candidates = array();
		foreach ( explode( ',', (string) $header ) as $part ) {
			$pair  = explode( '=', trim( $part ), 2 );
			$key   = $pair[0];
			$value = isset( $pair[1] ) ? $pair[1] : '';
			if ( 't' === $key ) {
				if ( ! preg_match( '/^[0-9]{1,12}$/D', $value ) ) {
					return 'The signature timestamp t= must be unix seconds.';
				}
				$timestamp = (int) $value;
			} elseif ( 'v1' === $key && '' !== $value ) {
				if ( ! preg_match( '/^[0-9a-fA-F]{1,128}$/D', $value ) ) {
					return 'A signature v1= must be a hex digest.';
				}
				$candidates[] = strtolower( $value );
			}
		}
		if ( null === $timestamp || ! $candidates ) {
			return 'The ' . self::HEADER . ' header must look like t=<unix seconds>,v1=<hex digest>.';
		}
		if ( count( $candidates ) > self::MAX_CANDIDATES ) {
			return 'The ' . self::HEADER . ' header carries too many v1 values.';
		}
		if ( abs( $now - $timestamp ) > self::TOLERANCE_S ) {
			return 'The signature timestamp is too far from now: re-sign the request.';
		}
		$expected = hash_hmac( 'sha256', $timestamp . '.' . $body, $secret );
		foreach ( $candidates as $candidate ) {
			if ( hash_equals( $expected, $candidate ) ) {
				return null;
			}
		}
		return 'The signature does not match the body and the callback secret.';
	}
}
