<?php
/**
 * `POST /wp-json/moderator/v1/callback` (or `/?rest_route=/moderator/v1/callback`): moderator's
 * signed callbacks, applied to the comment.
 *
 * The route is public (moderator holds no WordPress account); the body is trusted only when its
 * `X-Moderator-Signature` matches the callback secret (constant-time) and is fresh: anything else
 * is 401 and changes nothing. Events:
 * - `scored` (the policy's `action`): approve publishes the comment; hold holds it; review holds it
 *   in "hold until reviewed" mode and leaves it as it is in "publish, then moderate" mode.
 * - `decided` (the `state` after a reviewer's decision): approved publishes; rejected sends it to
 *   the trash (or spam: a setting; a reason of `spam` always does); escalated or queued holds it.
 * An event about an older revision than the comment's current text, a decision older than the
 * newest one known here (`version`), a scored event after a decision, any event while a decision
 * made in WordPress waits to be reported, another site's event or a deleted comment is
 * acknowledged (200) and changes nothing, so moderator does not retry it.
 *
 * @package Moderator
 * @license GPL-2.0-or-later
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The callback route.
 */
class Moderator_Callback {

	const NAMESPACE_V1 = 'moderator/v1';
	const ROUTE = '/callback';
	const MAX_BODY_BYTES = 1048576;

	/**
	 * Hook in.
	 */
	public static function register() {
		add_action( 'rest_api_init', array( __CLASS__, 'routes' ) );
		add_filter( 'rest_pre_dispatch', array( __CLASS__, 'before_dispatch' ), 10, 3 );
	}

	/**
	 * The signature is checked before WordPress reads the body as JSON (it answers 400 for
	 * malformed JSON before any permission check): an unsigned request gets 401 whatever it
	 * carries.
	 *
	 * @param mixed           $result  A response already made, or null.
	 * @param WP_REST_Server  $server  The server.
	 * @param WP_REST_Request $request The request.
	 * @return mixed
	 */
	public static function before_dispatch( $result, $server, $request ) {
		if ( null !== $result || '/' . self::NAMESPACE_V1 . self::ROUTE !== untrailingslashit( $request->get_route() ) ) {
			return $result;
		}
		$problem = self::signature_problem( $request );
		return null === $problem ? $result : new WP_Error( 'moderator_signature', $problem, array( 'status' => 401 ) );
	}

	/**
	 * Why the request is not signed with the callback secret (null when it is).
	 *
	 * @param WP_REST_Request $request The request.
	 * @return string|null
	 */
	private static function signature_problem( $request ) {
		return Moderator_Signature::problem(
			Moderator_Options::get( 'callback_secret' ),
			$request->get_header( 'x_moderator_signature' ),
			(string) $request->get_body(),
			time()
		);
	}

	/**
	 * The callback URL to give moderator (`MODERATOR_CALLBACK_URL`).
	 *
	 * @return string
	 */
	public static function url() {
		return rest_url( self::NAMESPACE_V1 . self::ROUTE );
	}

	/**
	 * Register the route.
	 */
	public static function routes() {
		register_rest_route(
			self::NAMESPACE_V1,
			self::ROUTE,
			array(
				'methods'             => 'POST',
				'callback'            => array( __CLASS__, 'handle' ),
				// Authenticated by the HMAC signature in `handle`, before anything is read.
				'permission_callback' => '__return_true',
			)
		);
	}

	/**
	 * Verify and apply one callback.
	 *
	 * @param WP_REST_Request $request The request.
	 * @return WP_REST_Response|WP_Error
	 */
	public static function handle( $request ) {
		$body = (string) $request->get_body();
		if ( strlen( $body ) > self::MAX_BODY_BYTES ) {
			return new WP_Error( 'moderator_too_large', 'The body is too large.', array( 'status' => 413 ) );
		}
		$problem = self::signature_problem( $request );
		if ( null !== $problem ) {
			return new WP_Error( 'moderator_signature', $problem, array( 'status' => 401 ) );
		}
		$event = json_decode( $body, true );
		if ( ! is_array( $event ) || ! isset( $event['event'], $event['id'] ) || ! is_string( $event['id'] ) ) {
			return new WP_Error( 'moderator_body', 'The body must be a moderator feed event.', array( 'status' => 400 ) );
		}
		$site = isset( $event['site'] ) ? (string) $event['site'] : '';
		if ( Moderator_Options::get( 'site' ) !== $site ) {
			return self::answer( 'ignored', 'another site' );
		}
		$comment = preg_match( '/^[1-9][0-9]{0,19}$/D', $event['id'] ) ? get_comment( (int) $event['id'] ) : null;
		if ( ! $comment ) {
			return self::answer( 'ignored', 'no such comment' );
		}
		$id = (int) $comment->comment_ID;
		Moderator_Comments::lock( $id ); // one at a time with a person's status change
		try {
			clean_comment_cache( $id ); // read what is stored now, not what this request cached
			wp_cache_delete( $id, 'comment_meta' );
			$comment = get_comment( $id );
			if ( ! $comment ) {
				return self::answer( 'ignored', 'no such comment' );
			}
			if ( '' !== (string) get_comment_meta( $id, Moderator_Comments::META_PLATFORM, true ) ) {
				// A person decided here and moderator has not heard yet: that verdict has the last word.
				return self::answer( 'ignored', 'a decision made in WordPress is being reported' );
			}
			if ( 'scored' === $event['event'] ) {
				return self::scored( $comment, $event );
			}
			if ( 'decided' === $event['event'] ) {
				return self::decided( $comment, $event );
			}
			return self::answer( 'ignored', 'not a scored or decided event' );
		} finally {
			Moderator_Comments::unlock( $id );
		}
	}

	/**
	 * Apply the policy's action on a new revision.
	 *
	 * @param WP_Comment $comment The comment.
	 * @param array      $event   The event.
	 * @return WP_REST_Response
	 */
	private static function scored( $comment, $event ) {
		$id       = (int) $comment->comment_ID;
		$revision = isset( $event['revision'] ) ? (int) $event['revision'] : 0;
		if ( $revision < (int) get_comment_meta( $id, Moderator_Comments::META_REVISION, true ) ) {
			return self::answer( 'ignored', 'an older revision' );
		}
		if ( $revision <= (int) get_comment_meta( $id, Moderator_Comments::META_DECIDED_REVISION, true ) ) {
			return self::answer( 'ignored', 'already decided' );
		}
		$action = isset( $event['action'] ) ? (string) $event['action'] : '';
		update_comment_meta( $id, Moderator_Comments::META_REVISION, $revision );
		update_comment_meta( $id, Moderator_Comments::META_STATE, 'scored:' . sanitize_key( $action ) );
		if ( 'approve' === $action ) {
			$status = 'approve';
		} elseif ( 'hold' === $action || ( 'review' === $action && Moderator_Options::holds() ) ) {
			$status = 'hold';
		} else {
			return self::answer( 'noted', $action );
		}
		Moderator_Comments::set_status( $comment, $status );
		return self::answer( 'applied', $status );
	}

	/**
	 * Apply a reviewer's decision unless a newer one is known here.
	 *
	 * @param WP_Comment $comment The comment.
	 * @param array      $event   The event.
	 * @return WP_REST_Response
	 */
	private static function decided( $comment, $event ) {
		$id       = (int) $comment->comment_ID;
		$version  = isset( $event['version'] ) ? (int) $event['version'] : 0;
		$revision = isset( $event['revision'] ) ? (int) $event['revision'] : 0;
		if ( $version <= (int) get_comment_meta( $id, Moderator_Comments::META_VERSION, true ) ) {
			return self::answer( 'ignored', 'an older decision' );
		}
		update_comment_meta( $id, Moderator_Comments::META_VERSION, $version );
		if ( $revision < (int) get_comment_meta( $id, Moderator_Comments::META_REVISION, true ) ) {
			return self::answer( 'ignored', 'a decision on an older revision' );
		}
		update_comment_meta( $id, Moderator_Comments::META_DECIDED_REVISION, $revision );
		$state = isset( $event['state'] ) ? (string) $event['state'] : '';
		update_comment_meta( $id, Moderator_Comments::META_STATE, 'decided:' . sanitize_key( $state ) );
		$reason = isset( $event['reason'] ) ? (string) $event['reason'] : '';
		if ( 'approved' === $state ) {
			$status = 'approve';
		} elseif ( 'rejected' === $state ) {
			$status = 'spam' === strtolower( $reason ) ? 'spam' : Moderator_Options::get( 'reject_to' );
		} elseif ( 'escalated' === $state || 'queued' === $state ) {
			$status = 'hold';
		} else {
			return self::answer( 'noted', $state );
		}
		Moderator_Comments::set_status( $comment, $status );
		return self::answer( 'applied', $status );
	}

	/**
	 * A 200 answer.
	 *
	 * @param string $result applied, noted or ignored.
	 * @param string $detail What or why.
	 * @return WP_REST_Response
	 */
	private static function answer( $result, $detail ) {
		return new WP_REST_Response(
			array(
				'result' => $result,
				'detail' => $detail,
			),
			200
		);
	}
}
