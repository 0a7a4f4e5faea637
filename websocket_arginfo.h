/* This is a generated file, edit the .stub.php file instead.
 * Stub hash: 0e0d1d94a0ef7d16dcf3385b8c75229623f90184 */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_WebSocket_Server___construct, 0, 0, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, host, IS_STRING, 0, "\"0.0.0.0\"")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, port, IS_LONG, 0, "8080")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_listen, 0, 2, IS_STATIC, 0)
	ZEND_ARG_TYPE_INFO(0, host, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, port, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_reloadTls, 0, 0, IS_VOID, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_on, 0, 2, IS_STATIC, 0)
	ZEND_ARG_TYPE_INFO(0, event, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, handler, IS_CALLABLE, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_WebSocket_Server_run arginfo_class_WebSocket_Server_reloadTls

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_workerId, 0, 0, IS_LONG, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_WebSocket_Server_workerCount arginfo_class_WebSocket_Server_workerId

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_sendToWorkers, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, data, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_WebSocket_Server_reload arginfo_class_WebSocket_Server_reloadTls

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_clusterStats, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_WebSocket_Server_stop arginfo_class_WebSocket_Server_reloadTls

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_broadcast, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, data, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, binary, _IS_BOOL, 0, "false")
	ZEND_ARG_OBJ_INFO_WITH_DEFAULT_VALUE(0, except, WebSocket\\Connection, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_publish, 0, 2, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, topic, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, data, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, binary, _IS_BOOL, 0, "false")
	ZEND_ARG_OBJ_INFO_WITH_DEFAULT_VALUE(0, except, WebSocket\\Connection, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, id, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_history, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, topic, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, limit, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_historyEpoch, 0, 0, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, topic, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_nodeId, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_presence, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, topic, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_subscribers, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, topic, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_WebSocket_Server_topics arginfo_class_WebSocket_Server_clusterStats

#define arginfo_class_WebSocket_Server_connections arginfo_class_WebSocket_Server_clusterStats

#define arginfo_class_WebSocket_Server_count arginfo_class_WebSocket_Server_workerId

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_getPort, 0, 0, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, listener, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_every, 0, 2, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, ms, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, callback, IS_CALLABLE, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_WebSocket_Server_after arginfo_class_WebSocket_Server_every

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_clearTimer, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, id, IS_LONG, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Server_stats, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, detailed, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_WebSocket_Connection___construct, 0, 0, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Connection_send, 0, 1, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, data, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, binary, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Connection_ping, 0, 0, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, payload, IS_STRING, 0, "\"\"")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Connection_close, 0, 0, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, code, IS_LONG, 0, "1000")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, reason, IS_STRING, 0, "\"\"")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Connection_isOpen, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_WebSocket_Connection_bufferedAmount arginfo_class_WebSocket_Server_workerId

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Connection_subscribe, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, topic, IS_STRING, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_WebSocket_Connection_unsubscribe arginfo_class_WebSocket_Connection_subscribe

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Connection_resume, 0, 2, IS_LONG, 1)
	ZEND_ARG_TYPE_INFO(0, topic, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, since, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, epoch, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Connection_join, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, topic, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, info, IS_STRING, 0, "\"\"")
ZEND_END_ARG_INFO()

#define arginfo_class_WebSocket_Connection_leave arginfo_class_WebSocket_Connection_subscribe

#define arginfo_class_WebSocket_Connection_topics arginfo_class_WebSocket_Server_clusterStats

#define arginfo_class_WebSocket_Request___construct arginfo_class_WebSocket_Connection___construct

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Request_header, 0, 1, IS_STRING, 1)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Request_respond, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, status, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, body, IS_STRING, 0, "\"\"")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, headers, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Request_setSubprotocol, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, protocol, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Request_setHeader, 0, 2, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, name, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, value, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_WebSocket_Publisher___construct, 0, 0, 1)
	ZEND_ARG_TYPE_INFO(0, url, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, options, IS_ARRAY, 0, "[]")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_WebSocket_Publisher_publish, 0, 2, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, topic, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, data, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, binary, _IS_BOOL, 0, "false")
ZEND_END_ARG_INFO()

#define arginfo_class_WebSocket_Publisher_broadcast arginfo_class_WebSocket_Connection_send


ZEND_METHOD(WebSocket_Server, __construct);
ZEND_METHOD(WebSocket_Server, listen);
ZEND_METHOD(WebSocket_Server, reloadTls);
ZEND_METHOD(WebSocket_Server, on);
ZEND_METHOD(WebSocket_Server, run);
ZEND_METHOD(WebSocket_Server, workerId);
ZEND_METHOD(WebSocket_Server, workerCount);
ZEND_METHOD(WebSocket_Server, sendToWorkers);
ZEND_METHOD(WebSocket_Server, reload);
ZEND_METHOD(WebSocket_Server, clusterStats);
ZEND_METHOD(WebSocket_Server, stop);
ZEND_METHOD(WebSocket_Server, broadcast);
ZEND_METHOD(WebSocket_Server, publish);
ZEND_METHOD(WebSocket_Server, history);
ZEND_METHOD(WebSocket_Server, historyEpoch);
ZEND_METHOD(WebSocket_Server, nodeId);
ZEND_METHOD(WebSocket_Server, presence);
ZEND_METHOD(WebSocket_Server, subscribers);
ZEND_METHOD(WebSocket_Server, topics);
ZEND_METHOD(WebSocket_Server, connections);
ZEND_METHOD(WebSocket_Server, count);
ZEND_METHOD(WebSocket_Server, getPort);
ZEND_METHOD(WebSocket_Server, every);
ZEND_METHOD(WebSocket_Server, after);
ZEND_METHOD(WebSocket_Server, clearTimer);
ZEND_METHOD(WebSocket_Server, stats);
ZEND_METHOD(WebSocket_Connection, __construct);
ZEND_METHOD(WebSocket_Connection, send);
ZEND_METHOD(WebSocket_Connection, ping);
ZEND_METHOD(WebSocket_Connection, close);
ZEND_METHOD(WebSocket_Connection, isOpen);
ZEND_METHOD(WebSocket_Connection, bufferedAmount);
ZEND_METHOD(WebSocket_Connection, subscribe);
ZEND_METHOD(WebSocket_Connection, unsubscribe);
ZEND_METHOD(WebSocket_Connection, resume);
ZEND_METHOD(WebSocket_Connection, join);
ZEND_METHOD(WebSocket_Connection, leave);
ZEND_METHOD(WebSocket_Connection, topics);
ZEND_METHOD(WebSocket_Request, __construct);
ZEND_METHOD(WebSocket_Request, header);
ZEND_METHOD(WebSocket_Request, respond);
ZEND_METHOD(WebSocket_Request, setSubprotocol);
ZEND_METHOD(WebSocket_Request, setHeader);
ZEND_METHOD(WebSocket_Publisher, __construct);
ZEND_METHOD(WebSocket_Publisher, publish);
ZEND_METHOD(WebSocket_Publisher, broadcast);


static const zend_function_entry class_WebSocket_Exception_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_WebSocket_Server_methods[] = {
	ZEND_ME(WebSocket_Server, __construct, arginfo_class_WebSocket_Server___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, listen, arginfo_class_WebSocket_Server_listen, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, reloadTls, arginfo_class_WebSocket_Server_reloadTls, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, on, arginfo_class_WebSocket_Server_on, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, run, arginfo_class_WebSocket_Server_run, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, workerId, arginfo_class_WebSocket_Server_workerId, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, workerCount, arginfo_class_WebSocket_Server_workerCount, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, sendToWorkers, arginfo_class_WebSocket_Server_sendToWorkers, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, reload, arginfo_class_WebSocket_Server_reload, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, clusterStats, arginfo_class_WebSocket_Server_clusterStats, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, stop, arginfo_class_WebSocket_Server_stop, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, broadcast, arginfo_class_WebSocket_Server_broadcast, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, publish, arginfo_class_WebSocket_Server_publish, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, history, arginfo_class_WebSocket_Server_history, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, historyEpoch, arginfo_class_WebSocket_Server_historyEpoch, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, nodeId, arginfo_class_WebSocket_Server_nodeId, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, presence, arginfo_class_WebSocket_Server_presence, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, subscribers, arginfo_class_WebSocket_Server_subscribers, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, topics, arginfo_class_WebSocket_Server_topics, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, connections, arginfo_class_WebSocket_Server_connections, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, count, arginfo_class_WebSocket_Server_count, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, getPort, arginfo_class_WebSocket_Server_getPort, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, every, arginfo_class_WebSocket_Server_every, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, after, arginfo_class_WebSocket_Server_after, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, clearTimer, arginfo_class_WebSocket_Server_clearTimer, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Server, stats, arginfo_class_WebSocket_Server_stats, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_WebSocket_Connection_methods[] = {
	ZEND_ME(WebSocket_Connection, __construct, arginfo_class_WebSocket_Connection___construct, ZEND_ACC_PRIVATE)
	ZEND_ME(WebSocket_Connection, send, arginfo_class_WebSocket_Connection_send, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Connection, ping, arginfo_class_WebSocket_Connection_ping, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Connection, close, arginfo_class_WebSocket_Connection_close, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Connection, isOpen, arginfo_class_WebSocket_Connection_isOpen, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Connection, bufferedAmount, arginfo_class_WebSocket_Connection_bufferedAmount, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Connection, subscribe, arginfo_class_WebSocket_Connection_subscribe, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Connection, unsubscribe, arginfo_class_WebSocket_Connection_unsubscribe, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Connection, resume, arginfo_class_WebSocket_Connection_resume, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Connection, join, arginfo_class_WebSocket_Connection_join, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Connection, leave, arginfo_class_WebSocket_Connection_leave, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Connection, topics, arginfo_class_WebSocket_Connection_topics, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_WebSocket_Request_methods[] = {
	ZEND_ME(WebSocket_Request, __construct, arginfo_class_WebSocket_Request___construct, ZEND_ACC_PRIVATE)
	ZEND_ME(WebSocket_Request, header, arginfo_class_WebSocket_Request_header, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Request, respond, arginfo_class_WebSocket_Request_respond, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Request, setSubprotocol, arginfo_class_WebSocket_Request_setSubprotocol, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Request, setHeader, arginfo_class_WebSocket_Request_setHeader, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_WebSocket_Publisher_methods[] = {
	ZEND_ME(WebSocket_Publisher, __construct, arginfo_class_WebSocket_Publisher___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Publisher, publish, arginfo_class_WebSocket_Publisher_publish, ZEND_ACC_PUBLIC)
	ZEND_ME(WebSocket_Publisher, broadcast, arginfo_class_WebSocket_Publisher_broadcast, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};

static zend_class_entry *register_class_WebSocket_Exception(zend_class_entry *class_entry_RuntimeException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "WebSocket", "Exception", class_WebSocket_Exception_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RuntimeException);

	return class_entry;
}

static zend_class_entry *register_class_WebSocket_Server(zend_class_entry *class_entry_Countable)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "WebSocket", "Server", class_WebSocket_Server_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;
	zend_class_implements(class_entry, 1, class_entry_Countable);

	return class_entry;
}

static zend_class_entry *register_class_WebSocket_Connection(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "WebSocket", "Connection", class_WebSocket_Connection_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;

	zval const_SENT_value;
	ZVAL_LONG(&const_SENT_value, WS_SEND_SENT);
	zend_string *const_SENT_name = zend_string_init_interned("SENT", sizeof("SENT") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_SENT_name, &const_SENT_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_SENT_name);

	zval const_QUEUED_value;
	ZVAL_LONG(&const_QUEUED_value, WS_SEND_QUEUED);
	zend_string *const_QUEUED_name = zend_string_init_interned("QUEUED", sizeof("QUEUED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_QUEUED_name, &const_QUEUED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_QUEUED_name);

	zval const_DROPPED_value;
	ZVAL_LONG(&const_DROPPED_value, WS_SEND_DROPPED);
	zend_string *const_DROPPED_name = zend_string_init_interned("DROPPED", sizeof("DROPPED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_DROPPED_name, &const_DROPPED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_DROPPED_name);

	zval property_id_default_value;
	ZVAL_UNDEF(&property_id_default_value);
	zend_string *property_id_name = zend_string_init("id", sizeof("id") - 1, 1);
	zend_declare_typed_property(class_entry, property_id_name, &property_id_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG));
	zend_string_release(property_id_name);

	zval property_remoteAddress_default_value;
	ZVAL_UNDEF(&property_remoteAddress_default_value);
	zend_string *property_remoteAddress_name = zend_string_init("remoteAddress", sizeof("remoteAddress") - 1, 1);
	zend_declare_typed_property(class_entry, property_remoteAddress_name, &property_remoteAddress_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_remoteAddress_name);

	zval property_path_default_value;
	ZVAL_UNDEF(&property_path_default_value);
	zend_string *property_path_name = zend_string_init("path", sizeof("path") - 1, 1);
	zend_declare_typed_property(class_entry, property_path_name, &property_path_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_path_name);

	zval property_subprotocol_default_value;
	ZVAL_UNDEF(&property_subprotocol_default_value);
	zend_string *property_subprotocol_name = zend_string_init("subprotocol", sizeof("subprotocol") - 1, 1);
	zend_declare_typed_property(class_entry, property_subprotocol_name, &property_subprotocol_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_subprotocol_name);

	zval property_data_default_value;
	ZVAL_NULL(&property_data_default_value);
	zend_string *property_data_name = zend_string_init("data", sizeof("data") - 1, 1);
	zend_declare_typed_property(class_entry, property_data_name, &property_data_default_value, ZEND_ACC_PUBLIC, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ANY));
	zend_string_release(property_data_name);

	return class_entry;
}

static zend_class_entry *register_class_WebSocket_Request(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "WebSocket", "Request", class_WebSocket_Request_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;

	zval property_method_default_value;
	ZVAL_UNDEF(&property_method_default_value);
	zend_string *property_method_name = zend_string_init("method", sizeof("method") - 1, 1);
	zend_declare_typed_property(class_entry, property_method_name, &property_method_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_method_name);

	zval property_uri_default_value;
	ZVAL_UNDEF(&property_uri_default_value);
	zend_string *property_uri_name = zend_string_init("uri", sizeof("uri") - 1, 1);
	zend_declare_typed_property(class_entry, property_uri_name, &property_uri_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_uri_name);

	zval property_path_default_value;
	ZVAL_UNDEF(&property_path_default_value);
	zend_string *property_path_name = zend_string_init("path", sizeof("path") - 1, 1);
	zend_declare_typed_property(class_entry, property_path_name, &property_path_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_path_name);

	zval property_query_default_value;
	ZVAL_UNDEF(&property_query_default_value);
	zend_string *property_query_name = zend_string_init("query", sizeof("query") - 1, 1);
	zend_declare_typed_property(class_entry, property_query_name, &property_query_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_query_name);

	zval property_headers_default_value;
	ZVAL_UNDEF(&property_headers_default_value);
	zend_string *property_headers_name = zend_string_init("headers", sizeof("headers") - 1, 1);
	zend_declare_typed_property(class_entry, property_headers_name, &property_headers_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ARRAY));
	zend_string_release(property_headers_name);

	zval property_cookies_default_value;
	ZVAL_UNDEF(&property_cookies_default_value);
	zend_string *property_cookies_name = zend_string_init("cookies", sizeof("cookies") - 1, 1);
	zend_declare_typed_property(class_entry, property_cookies_name, &property_cookies_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ARRAY));
	zend_string_release(property_cookies_name);

	zval property_remoteAddress_default_value;
	ZVAL_UNDEF(&property_remoteAddress_default_value);
	zend_string *property_remoteAddress_name = zend_string_init("remoteAddress", sizeof("remoteAddress") - 1, 1);
	zend_declare_typed_property(class_entry, property_remoteAddress_name, &property_remoteAddress_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_remoteAddress_name);

	zval property_subprotocols_default_value;
	ZVAL_UNDEF(&property_subprotocols_default_value);
	zend_string *property_subprotocols_name = zend_string_init("subprotocols", sizeof("subprotocols") - 1, 1);
	zend_declare_typed_property(class_entry, property_subprotocols_name, &property_subprotocols_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ARRAY));
	zend_string_release(property_subprotocols_name);

	zval property_secure_default_value;
	ZVAL_UNDEF(&property_secure_default_value);
	zend_string *property_secure_name = zend_string_init("secure", sizeof("secure") - 1, 1);
	zend_declare_typed_property(class_entry, property_secure_name, &property_secure_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_BOOL));
	zend_string_release(property_secure_name);

	zval property_clientSubject_default_value;
	ZVAL_UNDEF(&property_clientSubject_default_value);
	zend_string *property_clientSubject_name = zend_string_init("clientSubject", sizeof("clientSubject") - 1, 1);
	zend_declare_typed_property(class_entry, property_clientSubject_name, &property_clientSubject_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_clientSubject_name);

	zval property_data_default_value;
	ZVAL_NULL(&property_data_default_value);
	zend_string *property_data_name = zend_string_init("data", sizeof("data") - 1, 1);
	zend_declare_typed_property(class_entry, property_data_name, &property_data_default_value, ZEND_ACC_PUBLIC, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ANY));
	zend_string_release(property_data_name);

	return class_entry;
}

static zend_class_entry *register_class_WebSocket_Publisher(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "WebSocket", "Publisher", class_WebSocket_Publisher_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;

	return class_entry;
}
