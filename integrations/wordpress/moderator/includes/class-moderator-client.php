<?php
/**
 * HTTP to moderator: the signed webhook (`POST /v1/comments`) and platform decisions
 * (`POST /v1/comments/{id}/platform-decision?site=`, with the `platform` token).
 *
 * Every call answers an array: `ok` (bool), `retry` (bool: worth trying again later, i.e. anything
 * but a refusal of the body itself: 400, 404, 413, 415, 422), `error` (text) and the answer's
 * JSON fields. Nothing here
 * throws or changes a comment.
 *
 * @package Moderator
 * @license GPL-2.0-or-later
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Talks to moderator.
 */
class Moderator_Client {

	/**
	 * The webhook body of a comment: its id, text, author, thread (post id, title, permalink),
	 * parent and date.
	 *
	 * @param WP_Comment $comment The comment.
	 * @return array<string, mixed>
	 */
	public static function payload( $comment ) {
		$post   = get_post( (int) $comment->comment_post_ID );
		$thread = array( 'id' => (string) $comment->comment_post_ID );
		if ( $post ) {
			$thread['title'] = self::cut( wp_strip_all_tags( get_the_title( $post ) ), 1000 );
			$url             = (string) get_permalink( $post );
			if ( preg_match( '#^https?://#i', $url ) && strlen( $url ) <= 2048 ) {
				$thread['url'] = $url;
			}
		}
		$body = array(
			'id'     => (string) $comment->comment_ID,
			'text'   => (string) $comment->comment_content,
			'site'   => Moderator_Options::get( 'site' ),
			'author' => array(
				'id'   => self::author_id( $comment ),
				'name' => self::cut( (string) $comment->comment_author, 1000 ),
			),
			'thread' => $thread,
		);
		if ( (int) $comment->comment_parent > 0 ) {
			$body['parent_id'] = (string) $comment->comment_parent;
		}
		$gmt = (string) $comment->comment_date_gmt;
		if ( preg_match( '/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/D', $gmt ) && '0000-00-00 00:00:00' !== $gmt ) {
			$body['created_at'] = str_replace( ' ', 'T', $gmt ) . 'Z';
		}
		/**
		 * Filters the webhook body of a comment before it is signed and sent.
		 *
		 * @param array      $body    The body (moderator's webhook schema: unknown fields are refused).
		 * @param WP_Comment $comment The comment.
		 */
		return apply_filters( 'moderator_comment_payload', $body, $comment );
	}

	/**
	 * A stable author id: `user-<id>` for a registered user; for a visitor a keyed hash of the
	 * e-mail address (the address itself never leaves the site), or none without one.
	 *
	 * @param WP_Comment $comment The comment.
	 * @return string|null
	 */
	public static function author_id( $comment ) {
		if ( (int) $comment->user_id > 0 ) {
			return 'user-' . (int) $comment->user_id;
		}
		$email = strtolower( trim( (string) $comment->comment_author_email ) );
		if ( '' === $email ) {
			return null;
		}
		return 'visitor-' . substr( hash_hmac( 'sha256', $email, wp_salt( 'auth' ) ), 0, 24 );
	}

	/**
	 * Send a comment (a new one, or new text of a known one: a new revision) as a signed webhook.
	 *
	 * @param WP_Comment $comment The comment.
	 * @return array<string, mixed>
	 */
	public static function send_comment( $comment ) {
		$body = wp_json_encode( self::payload( $comment ), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE );
		if ( false === $body ) {
			return array(
				'ok'    => false,
				'retry' => false,
				'error' => 'The comment cannot be encoded as JSON.',
			);
		}
		$headers = array(
			'Content-Type'            => 'application/json',
			Moderator_Signature::HEADER => Moderator_Signature::sign( Moderator_Options::get( 'webhook_secret' ), $body, time() ),
		);
		return self::post( '/v1/comments', $body, $headers );
	}

	/**
	 * Report a decision made in WordPress (approve, or reject with a reason) to moderator.
	 *
	 * @param int    $comment_id The comment.
	 * @param string $decision   `approve` or `reject`.
	 * @param string $reason     Why (`spam`, `trash`, ...).
	 * @return array<string, mixed>
	 */
	public static function platform_decision( $comment_id, $decision, $reason ) {
		$token = Moderator_Options::get( 'platform_token' );
		if ( '' === $token ) {
			return array(
				'ok'    => false,
				'retry' => false,
				'error' => 'No platform token is set in Settings > Moderator.',
			);
		}
		$user = wp_get_current_user();
		$body = array(
			'decision' => $decision,
			'reason'   => $reason,
		);
		if ( $user && $user->exists() ) {
			$body['note'] = self::cut( 'By ' . $user->user_login . ' in wp-admin.', 5000 );
		}
		$path = '/v1/comments/' . rawurlencode( (string) $comment_id ) . '/platform-decision?site='
			. rawurlencode( Moderator_Options::get( 'site' ) );
		$headers = array(
			'Content-Type'  => 'application/json',
			'Authorization' => 'Bearer ' . $token,
		);
		return self::post( $path, (string) wp_json_encode( $body ), $headers );
	}

	/**
	 * POST to moderator; never throws.
	 *
	 * @param string               $path    Path and query.
	 * @param string               $body    Raw body.
	 * @param array<string,string> $headers Headers.
	 * @return array<string, mixed>
	 */
	private static function post( $path, $body, $headers ) {
		$base = untrailingslashit( Moderator_Options::get( 'url' ) );
		if ( '' === $base ) {
			return array(
				'ok'    => false,
				'retry' => true,
				'error' => 'The moderator URL is not set in Settings > Moderator.',
			);
		}
		$response = wp_remote_post(
			$base . $path,
			array(
				'body'        => $body,
				'headers'     => $headers,
				/** Filters how long a request to moderator may take, in seconds (default 5). */
				'timeout'     => (float) apply_filters( 'moderator_http_timeout', 5 ),
				'redirection' => 0,
				'user-agent'  => 'moderator-wordpress/' . MODERATOR_PLUGIN_VERSION,
			)
		);
		if ( is_wp_error( $response ) ) {
			return array(
				'ok'    => false,
				'retry' => true,
				'error' => 'Moderator is unreachable: ' . $response->get_error_message(),
			);
		}
		$status = (int) wp_remote_retrieve_response_code( $response );
		$answer = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		$answer = is_array( $answer ) ? $answer : array();
		if ( $status >= 200 && $status < 300 ) {
			return array_merge(
				$answer,
				array(
					'ok'     => true,
					'retry'  => false,
					'status' => $status,
				)
			);
		}
		$detail = isset( $answer['detail'] ) && is_string( $answer['detail'] ) ? $answer['detail'] : '';
		return array(
			'ok'     => false,
			// The body itself was refused: sending it again cannot help. Anything else (a wrong
			// secret or token, a full backlog, a server error) may be fixed: try again later.
			'retry'  => ! in_array( $status, array( 400, 404, 413, 415, 422 ), true ),
			'status' => $status,
			'error'  => trim( 'HTTP ' . $status . ' ' . $detail ),
		);
	}

	/**
	 * At most `$max` characters of `$text`.
	 *
	 * @param string $text Text.
	 * @param int    $max  Characters.
	 * @return string
	 */
	private static function cut( $text, $max ) {
		return function_exists( 'mb_substr' ) ? mb_substr( $text, 0, $max, 'UTF-8' ) : substr( $text, 0, $max );
	}
}
